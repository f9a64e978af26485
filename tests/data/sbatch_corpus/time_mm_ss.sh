#!/bin/bash
#SBATCH --time=10:30
echo "running on $(hostname)"
sleep 1
