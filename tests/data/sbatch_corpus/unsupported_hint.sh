#!/bin/bash
# hpcapi-expect: refused --hint
#SBATCH --hint=nomultithread
echo "running on $(hostname)"
sleep 1
