#!/bin/bash
#SBATCH --gres-flags=enforce-binding
echo "running on $(hostname)"
sleep 1
