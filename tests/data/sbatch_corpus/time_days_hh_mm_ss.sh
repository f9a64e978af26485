#!/bin/bash
#SBATCH --time=1-00:00:00
echo "running on $(hostname)"
sleep 1
