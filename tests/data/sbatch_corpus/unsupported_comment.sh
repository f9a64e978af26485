#!/bin/bash
# hpcapi-expect: refused --comment
#SBATCH --comment="nightly run"
echo "running on $(hostname)"
sleep 1
