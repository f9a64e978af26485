#!/bin/bash
# hpcapi-expect: refused extra: this Slurm release
#SBATCH --extra=zone=a
echo "running on $(hostname)"
sleep 1
