#!/bin/bash
#SBATCH --mem-bind=mask_mem:0x3,0xc
echo "running on $(hostname)"
sleep 1
