#!/bin/bash
#SBATCH --exclusive
#SBATCH --oversubscribe
echo "running on $(hostname)"
sleep 1
