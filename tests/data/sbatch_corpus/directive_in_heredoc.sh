#!/bin/bash
#SBATCH --time=10
#SBATCH --job-name=parent
cat > child.sh <<'EOF'
#!/bin/bash
#SBATCH --time=5
#SBATCH --job-name=child
echo child
EOF
sbatch child.sh
