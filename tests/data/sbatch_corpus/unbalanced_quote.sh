#!/bin/bash
#SBATCH --job-name='oops
echo "running on $(hostname)"
sleep 1
