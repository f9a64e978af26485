#!/bin/bash
#SBATCH --batch=fast
echo "running on $(hostname)"
sleep 1
