#!/bin/bash
# hpcapi-expect: refused tres-bind: this Slurm release
#SBATCH --gpus=1
#SBATCH --tres-bind=gres/gpu:closest
echo "running on $(hostname)"
sleep 1
