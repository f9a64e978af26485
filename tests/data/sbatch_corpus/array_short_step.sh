#!/bin/bash
#SBATCH -a 1-9:2
echo task $SLURM_ARRAY_TASK_ID
