#!/bin/bash
# hpcapi-expect: refused requeue: this Slurm release
#SBATCH --no-requeue
echo "running on $(hostname)"
sleep 1
