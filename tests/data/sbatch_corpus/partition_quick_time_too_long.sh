#!/bin/bash
#SBATCH -p quick
#SBATCH --time=01:00:00
echo "running on $(hostname)"
sleep 1
