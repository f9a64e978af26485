#!/bin/bash
# two days: more than norm's MaxTime
#SBATCH --time=2-00:00:00
echo "running on $(hostname)"
sleep 1
