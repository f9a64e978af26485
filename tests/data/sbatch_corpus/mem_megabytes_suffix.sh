#!/bin/bash
#SBATCH --mem=512M
echo "running on $(hostname)"
sleep 1
