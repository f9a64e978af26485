#!/bin/bash
# hpcapi-expect: refused --tasks-per-node
# --tasks-per-node is sbatch's other spelling of --ntasks-per-node
#SBATCH --tasks-per-node=2
echo "running on $(hostname)"
sleep 1
