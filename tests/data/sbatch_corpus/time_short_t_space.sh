#!/bin/bash
#SBATCH -t 10
echo "running on $(hostname)"
sleep 1
