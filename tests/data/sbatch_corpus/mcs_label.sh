#!/bin/bash
#SBATCH --mcs-label=alice
echo "running on $(hostname)"
sleep 1
