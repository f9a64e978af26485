#!/bin/bash
#SBATCH --extra-node-info=1:*:1
echo "running on $(hostname)"
sleep 1
