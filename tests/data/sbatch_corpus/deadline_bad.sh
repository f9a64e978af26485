#!/bin/bash
# hpcapi-expect: refused deadline
#SBATCH --deadline=someday
echo "running on $(hostname)"
sleep 1
