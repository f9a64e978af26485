#!/bin/bash
#SBATCH -o logs/%j.out
#SBATCH -e logs/%j.err
echo "running on $(hostname)"
sleep 1
