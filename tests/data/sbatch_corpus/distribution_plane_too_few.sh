#!/bin/bash
# hpcapi-expect: refused distribution
#SBATCH -N 2
#SBATCH -n 2
#SBATCH -m plane=2
echo "running on $(hostname)"
sleep 1
