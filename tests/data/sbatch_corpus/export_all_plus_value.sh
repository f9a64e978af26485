#!/bin/bash
#SBATCH --export=ALL,MYVAR=hello
echo $MYVAR
