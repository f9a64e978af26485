#!/bin/bash
#SBATCH --gpus=1
#SBATCH --cpus-per-gpu=1
echo "running on $(hostname)"
sleep 1
