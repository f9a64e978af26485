#!/bin/bash
# hpcapi-expect: refused overcommit: this Slurm release
#SBATCH -O
echo "running on $(hostname)"
sleep 1
