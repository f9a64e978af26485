#!/bin/bash
# hpcapi-expect: refused --nice
#SBATCH --nice=10
echo "running on $(hostname)"
sleep 1
