#!/bin/bash
#SBATCH --gpus=2
#SBATCH --mem-per-gpu=100M
echo "running on $(hostname)"
sleep 1
