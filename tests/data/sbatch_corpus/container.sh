#!/bin/bash
#SBATCH --container=/srv/oci/bundle
echo "running on $(hostname)"
sleep 1
