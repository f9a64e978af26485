#!/bin/bash
#SBATCH --resources=fs:2
#SBATCH -L matlab
echo "running on $(hostname)"
sleep 1
