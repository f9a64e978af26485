#!/bin/bash
# hpcapi-expect: refused stepmgr: this Slurm release
#SBATCH --stepmgr
echo "running on $(hostname)"
sleep 1
