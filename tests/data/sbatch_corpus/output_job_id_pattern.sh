#!/bin/bash
#SBATCH -o job-%j.out
echo "running on $(hostname)"
sleep 1
