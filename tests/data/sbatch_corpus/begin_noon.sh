#!/bin/bash
#SBATCH --begin=noon
echo "running on $(hostname)"
sleep 1
