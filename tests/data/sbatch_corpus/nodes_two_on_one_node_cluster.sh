#!/bin/bash
#SBATCH -N 2
echo "running on $(hostname)"
sleep 1
