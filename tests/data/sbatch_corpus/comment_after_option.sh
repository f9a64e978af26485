#!/bin/bash
#SBATCH --time=10   # ten minutes is plenty
#SBATCH -n 2 # two tasks
echo "running on $(hostname)"
sleep 1
