#!/bin/bash
#SBATCH --priority=10
echo "running on $(hostname)"
sleep 1
