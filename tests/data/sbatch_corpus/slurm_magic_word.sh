#!/bin/bash
#SLURM --time=10
#SLURM --job-name=oldstyle
echo "running on $(hostname)"
sleep 1
