#!/bin/bash
#SBATCH --time=10
echo "running on $(hostname)"
sleep 1
