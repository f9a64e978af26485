#!/bin/bash
#SBATCH --job-name=lastline
#SBATCH --time=10