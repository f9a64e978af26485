#!/bin/bash
#SBATCH --nodes=1-2
echo "running on $(hostname)"
sleep 1
