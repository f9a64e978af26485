#!/bin/bash
#SBATCH --time=0-12
echo "running on $(hostname)"
sleep 1
