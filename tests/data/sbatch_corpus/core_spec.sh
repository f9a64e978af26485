#!/bin/bash
#SBATCH -S 1
echo "running on $(hostname)"
sleep 1
