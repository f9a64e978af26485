#!/bin/bash
# hpcapi-expect: refused acctg-freq
#SBATCH --acctg-freq=tasks=30
echo "running on $(hostname)"
sleep 1
