#!/bin/bash
#SBATCH --time=10
#SBATCH hello
echo "running on $(hostname)"
sleep 1
