#!/bin/bash
# hpcapi-expect: refused --tmp
#SBATCH --tmp=10M
echo "running on $(hostname)"
sleep 1
