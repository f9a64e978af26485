#!/bin/bash
#SBATCH --job-name=only-one
#SBATCH --dependency=singleton
echo "running on $(hostname)"
sleep 1
