#!/bin/bash
#SBATCH --time=10
#SBATCH --deadline=now+2days
echo "running on $(hostname)"
sleep 1
