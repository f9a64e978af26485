#!/bin/bash
#SBATCH -n 1
#SBATCH --gpus-per-task=1
#SBATCH -c 2
echo "running on $(hostname)"
sleep 1
