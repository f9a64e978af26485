#!/bin/bash
#SBATCH --job-name="run#1"
echo "running on $(hostname)"
sleep 1
