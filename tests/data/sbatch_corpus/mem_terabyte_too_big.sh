#!/bin/bash
# hpcapi-expect: refused mem-per-node: 1048576 MB is more than any node
# More than any node has: sbatch refuses it at submit, yet accepts it held (-H, seen on
# 22.05), so hpcapi refusing it, as sbatch does unheld, is allowed if named.
#SBATCH --mem=1T
echo "running on $(hostname)"
sleep 1
