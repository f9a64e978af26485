#!/bin/bash
#SBATCH --mem=2048
echo "running on $(hostname)"
sleep 1
