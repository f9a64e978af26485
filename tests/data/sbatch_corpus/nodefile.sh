#!/bin/bash
#SBATCH --nodefile=hosts.txt
echo "running on $(hostname)"
sleep 1
