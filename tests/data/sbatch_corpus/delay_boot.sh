#!/bin/bash
#SBATCH --delay-boot=10
echo "running on $(hostname)"
sleep 1
