#!/bin/bash
#SBATCH --time 45
echo "running on $(hostname)"
sleep 1
