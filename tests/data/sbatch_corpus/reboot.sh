#!/bin/bash
# hpcapi-expect: refused reboot: this Slurm release
#SBATCH --reboot
echo "running on $(hostname)"
sleep 1
