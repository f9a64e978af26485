#!/bin/bash
#SBATCH -n 2
#SBATCH --distribution=cyclic
echo "running on $(hostname)"
sleep 1
