#!/bin/bash
#SBATCH --cpu-freq=low-high:ondemand
echo "running on $(hostname)"
sleep 1
