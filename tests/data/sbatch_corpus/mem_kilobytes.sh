#!/bin/bash
#SBATCH --mem=1048576K
echo "running on $(hostname)"
sleep 1
