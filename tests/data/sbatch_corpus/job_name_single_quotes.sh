#!/bin/bash
#SBATCH --job-name='my job'
echo "running on $(hostname)"
sleep 1
