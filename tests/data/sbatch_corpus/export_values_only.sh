#!/bin/bash
#SBATCH --export=MYVAR=hello,OTHER=two
echo $MYVAR $OTHER
