#!/bin/bash
#SBATCH --exclusive=oversubscribe
echo "running on $(hostname)"
sleep 1
