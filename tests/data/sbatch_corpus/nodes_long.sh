#!/bin/bash
#SBATCH --nodes=1
echo "running on $(hostname)"
sleep 1
