#!/bin/bash
#SBATCH --bbf=bb.txt
echo "running on $(hostname)"
sleep 1
