#!/bin/bash
# hpcapi-expect: refused signal: this Slurm release
#SBATCH --signal=B:USR1@60
echo "running on $(hostname)"
sleep 1
