#!/bin/bash
#SBATCH -p quick,norm
#SBATCH -t 20
echo "running on $(hostname)"
sleep 1
