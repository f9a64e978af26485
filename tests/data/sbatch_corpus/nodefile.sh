#!/bin/bash
# hpcapi-expect: refused nodelist: this Slurm release
#SBATCH --nodefile=hosts.txt
echo "running on $(hostname)"
sleep 1
