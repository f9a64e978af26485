#!/bin/bash
# hpcapi-expect: refused batch: this Slurm release
#SBATCH --batch=fast
echo "running on $(hostname)"
sleep 1
