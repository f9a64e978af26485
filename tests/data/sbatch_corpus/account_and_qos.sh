#!/bin/bash
#SBATCH -A lab
#SBATCH --qos=normal
echo "running on $(hostname)"
sleep 1
