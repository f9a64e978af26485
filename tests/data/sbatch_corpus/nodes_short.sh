#!/bin/bash
#SBATCH -N 1
echo "running on $(hostname)"
sleep 1
