#!/bin/bash
#SBATCH --ntasks 2 --job-name demo
echo "running on $(hostname)"
sleep 1
