#!/bin/bash
#SBATCH -c 2
export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK
./a.out || true
