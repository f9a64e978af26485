#!/bin/bash
#SBATCH --time=10
#SBATCH --time=20
echo "running on $(hostname)"
sleep 1
