#!/bin/bash
#SBATCH --bb="capacity=1G"
echo "running on $(hostname)"
sleep 1
