#!/bin/bash
#SBATCH --gres=none
echo "running on $(hostname)"
sleep 1
