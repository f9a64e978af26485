#!/bin/bash
#SBATCH -n 2
#SBATCH --mem-per-cpu=1G
echo "running on $(hostname)"
sleep 1
