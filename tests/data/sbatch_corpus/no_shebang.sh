#SBATCH --time=10
echo no interpreter line
