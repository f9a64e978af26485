#!/bin/bash
#SBATCH -s
echo "running on $(hostname)"
sleep 1
