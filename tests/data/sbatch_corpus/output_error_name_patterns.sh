#!/bin/bash
#SBATCH --output=%x-%j.out
#SBATCH --error=%x-%j.err
echo "running on $(hostname)"
sleep 1
