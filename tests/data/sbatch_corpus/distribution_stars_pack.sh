#!/bin/bash
#SBATCH -n 2
#SBATCH --distribution=*:*,pack
echo "running on $(hostname)"
sleep 1
