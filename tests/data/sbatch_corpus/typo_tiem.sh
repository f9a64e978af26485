#!/bin/bash
#SBATCH --tiem=10
echo "running on $(hostname)"
sleep 1
