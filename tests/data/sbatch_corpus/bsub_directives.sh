#!/bin/bash
# hpcapi-expect: refused #BSUB
#BSUB -J bsubjob
#BSUB -W 10
#BSUB -n 2
echo "running on $(hostname)"
sleep 1
