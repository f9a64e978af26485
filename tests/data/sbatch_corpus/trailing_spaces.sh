#!/bin/bash
#SBATCH --time=10   
#SBATCH --job-name=trailing  
#SBATCH -n 2	
echo "running on $(hostname)"
sleep 1
