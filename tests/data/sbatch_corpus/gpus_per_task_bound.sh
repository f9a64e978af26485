#!/bin/bash
#SBATCH -n 1
#SBATCH --gpus-per-task=1
#SBATCH --gpu-bind=closest
echo "running on $(hostname)"
sleep 1
