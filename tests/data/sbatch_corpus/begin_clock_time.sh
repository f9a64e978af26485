#!/bin/bash
#SBATCH --begin=16:00
echo "running on $(hostname)"
sleep 1
