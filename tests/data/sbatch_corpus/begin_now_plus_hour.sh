#!/bin/bash
#SBATCH --begin=now+1hour
echo "running on $(hostname)"
sleep 1
