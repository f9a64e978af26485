#!/bin/bash
#SBATCH --time=10

#SBATCH --ntasks=2


#SBATCH --job-name=spaced
echo "running on $(hostname)"
sleep 1
