#!/bin/bash
#SBATCH --mem=1G
#SBATCH --mem-per-cpu=512M
echo "running on $(hostname)"
sleep 1
