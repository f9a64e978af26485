#!/bin/bash
#SBATCH --gpus=1
#SBATCH --gpu-bind=closest
echo "running on $(hostname)"
sleep 1
