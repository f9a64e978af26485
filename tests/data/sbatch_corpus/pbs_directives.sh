#!/bin/bash
# hpcapi-expect: refused #PBS
#PBS -N pbsjob
#PBS -l walltime=00:10:00
#PBS -l nodes=1:ppn=2
echo "running on $(hostname)"
sleep 1
