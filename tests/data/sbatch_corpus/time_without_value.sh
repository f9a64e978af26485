#!/bin/bash
#SBATCH --job-name=novalue
#SBATCH --time
echo "running on $(hostname)"
sleep 1
