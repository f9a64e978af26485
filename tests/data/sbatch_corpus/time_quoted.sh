#!/bin/bash
#SBATCH --time="00:20:00"
echo "running on $(hostname)"
sleep 1
