#!/bin/bash
# hpcapi-expect: refused --exclusive
#SBATCH --exclusive
echo "running on $(hostname)"
sleep 1
