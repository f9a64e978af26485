#!/bin/bash
#SBATCH -d afterany:@HELD_JOB@
echo "running on $(hostname)"
sleep 1
