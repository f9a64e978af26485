#!/bin/bash
#SBATCH --sockets-per-node=1
#SBATCH --gpus-per-socket=1
echo "running on $(hostname)"
sleep 1
