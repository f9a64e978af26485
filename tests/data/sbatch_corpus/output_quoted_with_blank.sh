#!/bin/bash
#SBATCH --output="my out.txt"
echo "running on $(hostname)"
sleep 1
