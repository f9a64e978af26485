#!/bin/bash
#SBATCH --export-file=env0
echo "running on $(hostname) with $FROM_FILE"
sleep 1
