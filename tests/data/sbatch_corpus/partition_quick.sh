#!/bin/bash
#SBATCH --partition=quick
#SBATCH --time=20
echo "running on $(hostname)"
sleep 1
