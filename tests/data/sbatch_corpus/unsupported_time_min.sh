#!/bin/bash
# hpcapi-expect: refused --time-min
#SBATCH --time=20
#SBATCH --time-min=5
echo "running on $(hostname)"
sleep 1
