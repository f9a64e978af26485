#!/bin/bash
  #SBATCH --time=5
	#SBATCH --job-name=indented
#SBATCH -n 2
echo "running on $(hostname)"
sleep 1
