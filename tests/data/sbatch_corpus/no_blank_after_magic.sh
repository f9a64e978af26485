#!/bin/bash
#SBATCH--time=10
#SBATCH--job-name=glued
echo "running on $(hostname)"
sleep 1
