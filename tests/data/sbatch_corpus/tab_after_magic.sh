#!/bin/bash
#SBATCH	--time=10
#SBATCH		-n 2
echo "running on $(hostname)"
sleep 1
