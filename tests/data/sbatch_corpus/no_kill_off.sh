#!/bin/bash
#SBATCH --no-kill=off
echo "running on $(hostname)"
sleep 1
