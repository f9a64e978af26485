#!/bin/bash
#SBATCH --ntasks-per-socket=1
echo "running on $(hostname)"
sleep 1
