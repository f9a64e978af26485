#!/bin/bash
#SBATCH --chdir=work
echo "running on $(hostname)"
sleep 1
