#!/bin/bash
#SBATCH --mem=0
echo "running on $(hostname)"
sleep 1
