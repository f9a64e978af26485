#!/bin/bash
# hpcapi-expect: refused oom-kill-step: this Slurm release
#SBATCH --oom-kill-step=1
echo "running on $(hostname)"
sleep 1
