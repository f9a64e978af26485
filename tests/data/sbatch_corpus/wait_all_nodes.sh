#!/bin/bash
#SBATCH --wait-all-nodes=1
echo "running on $(hostname)"
sleep 1
