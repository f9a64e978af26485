#!/bin/bash
#SBATCH --dependency=afterok:@HELD_JOB@
echo "running on $(hostname)"
sleep 1
