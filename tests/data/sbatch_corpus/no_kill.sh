#!/bin/bash
#SBATCH --no-kill
echo "running on $(hostname)"
sleep 1
