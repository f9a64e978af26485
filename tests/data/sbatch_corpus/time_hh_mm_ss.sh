#!/bin/bash
#SBATCH --time=01:30:00
echo "running on $(hostname)"
sleep 1
