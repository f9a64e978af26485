#!/bin/bash
#SBATCH -t 0-2:30
echo "running on $(hostname)"
sleep 1
