#!/bin/bash
#SBATCH --array=0-3
echo task $SLURM_ARRAY_TASK_ID
