#!/bin/bash
# hpcapi-expect: refused segment: this Slurm release
#SBATCH -N 1
#SBATCH --segment=1
echo "running on $(hostname)"
sleep 1
