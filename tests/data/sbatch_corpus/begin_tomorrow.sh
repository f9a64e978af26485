#!/bin/bash
#SBATCH --begin=tomorrow
echo "running on $(hostname)"
sleep 1
