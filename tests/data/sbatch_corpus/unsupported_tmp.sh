#!/bin/bash
# hpcapi-expect: refused tmp: this Slurm release
#SBATCH --tmp=10M
echo "running on $(hostname)"
sleep 1
