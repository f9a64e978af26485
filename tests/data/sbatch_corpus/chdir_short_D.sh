#!/bin/bash
#SBATCH -D /tmp
echo "running on $(hostname)"
sleep 1
