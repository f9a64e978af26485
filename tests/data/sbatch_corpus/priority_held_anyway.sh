#!/bin/bash
#SBATCH --priority=10
#SBATCH --time=5
echo "running on $(hostname)"
sleep 1
