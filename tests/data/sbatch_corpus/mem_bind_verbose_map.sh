#!/bin/bash
#SBATCH --mem-bind=v,map_mem:0*2,1
echo "running on $(hostname)"
sleep 1
