#!/bin/bash
# hpcapi-expect: refused --no-requeue
#SBATCH --no-requeue
echo "running on $(hostname)"
sleep 1
