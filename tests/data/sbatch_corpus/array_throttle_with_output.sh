#!/bin/bash
#SBATCH --array=1-4%2
#SBATCH -o slurm-%A_%a.out
echo task $SLURM_ARRAY_TASK_ID
