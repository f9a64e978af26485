#!/bin/bash
# hpcapi-expect: refused --gpus
#SBATCH --gpus=1
echo "running on $(hostname)"
sleep 1
