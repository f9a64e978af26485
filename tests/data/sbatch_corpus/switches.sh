#!/bin/bash
# hpcapi-expect: refused switches: this Slurm release
#SBATCH --switches=1@5:00
echo "running on $(hostname)"
sleep 1
