#!/bin/bash
#SBATCH --kill-on-invalid-dep=yes
echo "running on $(hostname)"
sleep 1
