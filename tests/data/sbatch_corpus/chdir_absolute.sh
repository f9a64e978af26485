#!/bin/bash
#SBATCH --chdir=/tmp
echo "running on $(hostname)"
sleep 1
