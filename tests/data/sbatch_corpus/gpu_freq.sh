#!/bin/bash
#SBATCH --gpus=1
#SBATCH --gpu-freq=high,memory=low
echo "running on $(hostname)"
sleep 1
