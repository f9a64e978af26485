#!/bin/bash
#SBATCH -B 1
echo "running on $(hostname)"
sleep 1
