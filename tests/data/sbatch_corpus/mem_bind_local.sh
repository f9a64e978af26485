#!/bin/bash
#SBATCH --mem-bind=local
echo "running on $(hostname)"
sleep 1
