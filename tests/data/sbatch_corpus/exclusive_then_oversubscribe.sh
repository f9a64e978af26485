#!/bin/bash
# hpcapi-expect: refused --exclusive and --oversubscribe options are mutually exclusive
#SBATCH --exclusive
#SBATCH --oversubscribe
echo "running on $(hostname)"
sleep 1
