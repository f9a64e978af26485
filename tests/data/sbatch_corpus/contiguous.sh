#!/bin/bash
# hpcapi-expect: refused contiguous: this Slurm release
#SBATCH --contiguous
echo "running on $(hostname)"
sleep 1
