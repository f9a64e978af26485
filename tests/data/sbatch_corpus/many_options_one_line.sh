#!/bin/bash
#SBATCH -N 1 -n 2 -t 15 --mem=1G
echo "running on $(hostname)"
sleep 1
