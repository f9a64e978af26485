#!/bin/bash
#SBATCH -b 2030-01-15
echo "running on $(hostname)"
sleep 1
