#!/bin/bash
#SBATCH --gres=gpu:1
echo "running on $(hostname)"
sleep 1
