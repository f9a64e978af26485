#!/bin/bash
#SBATCH --prefer=bigmem
#SBATCH -t 10
echo "running on $(hostname)"
sleep 1
