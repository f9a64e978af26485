#!/bin/bash
# hpcapi-expect: refused cores-per-socket: this Slurm release
#SBATCH -B 1:2
echo "running on $(hostname)"
sleep 1
