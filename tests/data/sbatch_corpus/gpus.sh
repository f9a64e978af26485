#!/bin/bash
#SBATCH --gpus=1
echo "running on $(hostname)"
sleep 1
