#!/bin/bash
#SBATCH --mem=2G
echo "running on $(hostname)"
sleep 1
