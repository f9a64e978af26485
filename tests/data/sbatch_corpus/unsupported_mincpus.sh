#!/bin/bash
# hpcapi-expect: refused --mincpus
#SBATCH --mincpus=2
echo "running on $(hostname)"
sleep 1
