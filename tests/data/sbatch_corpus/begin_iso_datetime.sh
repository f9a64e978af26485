#!/bin/bash
#SBATCH --begin=2030-01-15T10:00:00
echo "running on $(hostname)"
sleep 1
