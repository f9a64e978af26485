#!/bin/bash
#SBATCH --mail-type=END,FAIL
#SBATCH --mail-user=alice
echo "running on $(hostname)"
sleep 1
