#!/bin/bash
# hpcapi-expect: refused mem-bind
#SBATCH --mem-bind=sort
echo "running on $(hostname)"
sleep 1
