#!/bin/bash
#SBATCH -J short
echo "running on $(hostname)"
sleep 1
