#!/bin/bash
# hpcapi-expect: refused tres-per-task: this Slurm release
#SBATCH -n 1
#SBATCH --tres-per-task=gres/gpu=1,cpu=2
echo "running on $(hostname)"
sleep 1
