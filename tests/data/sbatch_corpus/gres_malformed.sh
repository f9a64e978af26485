#!/bin/bash
#SBATCH --gres=gpu:banana:x
echo "running on $(hostname)"
sleep 1
