#!/bin/bash
#SBATCH --time=5
echo "running on $(hostname)"
sleep 1
