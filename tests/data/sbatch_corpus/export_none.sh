#!/bin/bash
#SBATCH --export=NONE
env | sort
