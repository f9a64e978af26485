#!/bin/bash
#SBATCH --time=UNLIMITED
echo "running on $(hostname)"
sleep 1
