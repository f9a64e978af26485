#!/bin/bash
# hpcapi-expect: refused profile: this Slurm release
#SBATCH --profile=task
echo "running on $(hostname)"
sleep 1
