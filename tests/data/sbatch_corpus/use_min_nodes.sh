#!/bin/bash
# hpcapi-expect: refused use-min-nodes: this Slurm release
#SBATCH -N 1-2
#SBATCH --use-min-nodes
echo "running on $(hostname)"
sleep 1
