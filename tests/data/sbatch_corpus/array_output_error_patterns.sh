#!/bin/bash
#SBATCH --array=0-1
#SBATCH --output=out-%A_%a.txt
#SBATCH --error=err-%A_%a.txt
echo task $SLURM_ARRAY_TASK_ID
