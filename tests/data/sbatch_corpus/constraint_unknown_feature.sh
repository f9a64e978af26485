#!/bin/bash
#SBATCH --constraint=bigmem
echo "running on $(hostname)"
sleep 1
