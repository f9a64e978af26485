#!/bin/bash
#SBATCH --kill-on-invalid-dep=no
echo "running on $(hostname)"
sleep 1
