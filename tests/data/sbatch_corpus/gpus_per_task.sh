#!/bin/bash
#SBATCH -n 2
#SBATCH --gpus-per-task=1
echo "running on $(hostname)"
sleep 1
