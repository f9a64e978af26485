#!/bin/bash
# hpcapi-expect: refused kill-on-invalid-dep
#SBATCH --kill-on-invalid-dep=maybe
echo "running on $(hostname)"
sleep 1
