#!/bin/bash
#SBATCH -n2
srun hostname
