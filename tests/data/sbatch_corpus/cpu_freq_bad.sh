#!/bin/bash
# hpcapi-expect: refused cpu-freq
#SBATCH --cpu-freq=fast
echo "running on $(hostname)"
sleep 1
