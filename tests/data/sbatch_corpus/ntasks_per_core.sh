#!/bin/bash
#SBATCH --ntasks-per-core=1
echo "running on $(hostname)"
sleep 1
