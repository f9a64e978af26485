#!/bin/bash
# hpcapi-expect: refused --input
#SBATCH --input=input.txt
cat
