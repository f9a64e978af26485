#!/bin/bash
#SBATCH -N 1
#SBATCH --spread-job
echo "running on $(hostname)"
sleep 1
