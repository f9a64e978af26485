#!/bin/bash
#SBATCH -o /tmp/%u-%j.log
echo "running on $(hostname)"
sleep 1
