#!/bin/bash
# resources
#SBATCH --time=10
# who I am
#SBATCH --job-name=commented
#
#SBATCH -n 2
echo "running on $(hostname)"
sleep 1
