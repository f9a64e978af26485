#!/bin/bash
# hpcapi-expect: refused --open-mode
#SBATCH --open-mode=append
echo "running on $(hostname)"
sleep 1
