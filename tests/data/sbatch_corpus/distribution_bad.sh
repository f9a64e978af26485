#!/bin/bash
# hpcapi-expect: refused distribution
#SBATCH --distribution=round
echo "running on $(hostname)"
sleep 1
