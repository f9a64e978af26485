#!/bin/bash
#SBATCH --distribution=Cyclic:Block:*
echo "running on $(hostname)"
sleep 1
