#!/bin/bash
# hpcapi-expect: refused ntasks-per-gpu (or ntasks-per-tres): this Slurm release
#SBATCH --gpus=1
#SBATCH --ntasks-per-tres=2
echo "running on $(hostname)"
sleep 1
