#!/bin/bash
# hpcapi-expect: refused #PBS
#SBATCH --time=10
#PBS -N mixed
echo "running on $(hostname)"
sleep 1
