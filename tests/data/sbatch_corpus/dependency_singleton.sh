#!/bin/bash
# The held parents' name: a singleton then stays unfulfilled on both sides, whenever the
# scheduler looks (a name of its own is fulfilled on the first side and not the second).
#SBATCH --job-name=dependency_parent.sh
#SBATCH --dependency=singleton
echo "running on $(hostname)"
sleep 1
