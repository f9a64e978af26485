#!/bin/bash
#SBATCH -t45
echo "running on $(hostname)"
sleep 1
