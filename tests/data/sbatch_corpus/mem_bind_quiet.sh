#!/bin/bash
#SBATCH --mem-bind=q
echo "running on $(hostname)"
sleep 1
