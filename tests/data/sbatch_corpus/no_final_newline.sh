#!/bin/bash
#SBATCH --time=10
echo no newline at the end