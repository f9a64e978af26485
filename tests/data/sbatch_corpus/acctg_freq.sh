#!/bin/bash
#SBATCH --acctg-freq=task=30,energy=60
echo "running on $(hostname)"
sleep 1
