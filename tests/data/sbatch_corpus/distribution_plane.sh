#!/bin/bash
#SBATCH -n 4
#SBATCH -m plane=2
echo "running on $(hostname)"
sleep 1
