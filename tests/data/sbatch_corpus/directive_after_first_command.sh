#!/bin/bash
#SBATCH --time=10
module purge 2>/dev/null || true
#SBATCH --ntasks=2
#SBATCH --job-name=late
echo late directives are comments
