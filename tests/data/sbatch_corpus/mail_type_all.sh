#!/bin/bash
#SBATCH --mail-type=ALL
echo "running on $(hostname)"
sleep 1
