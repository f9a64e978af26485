#!/bin/bash
#SBATCH --gres-flags=disable-binding
echo "running on $(hostname)"
sleep 1
