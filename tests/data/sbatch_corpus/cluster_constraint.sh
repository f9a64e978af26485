#!/bin/bash
#SBATCH --cluster-constraint=east
echo "running on $(hostname)"
sleep 1
