#!/bin/bash
# hpcapi-expect: refused Invalid --nodefile node file
#SBATCH -F no-such-file
echo "running on $(hostname)"
sleep 1
