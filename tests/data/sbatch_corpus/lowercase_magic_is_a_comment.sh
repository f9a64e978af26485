#!/bin/bash
#sbatch --time=10
#Sbatch --job-name=lower
echo "running on $(hostname)"
sleep 1
