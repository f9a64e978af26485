#!/bin/bash
#SBATCH --thread-spec=1
echo "running on $(hostname)"
sleep 1
