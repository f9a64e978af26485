#!/bin/bash
#SBATCH --gpus-per-node=1
echo "running on $(hostname)"
sleep 1
