#!/bin/bash
# hpcapi-expect: refused --requeue
#SBATCH --requeue
echo "running on $(hostname)"
sleep 1
