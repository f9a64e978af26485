#!/bin/bash
# hpcapi-expect: refused restricted
#SBATCH -p restricted
echo "running on $(hostname)"
sleep 1
