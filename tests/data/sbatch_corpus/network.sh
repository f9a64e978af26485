#!/bin/bash
# hpcapi-expect: refused network: this Slurm release
#SBATCH --network=sn_all
echo "running on $(hostname)"
sleep 1
