"""Pure core of hpcapi: request validation, ``#SBATCH`` handling and translation to slurmrestd.

Nothing in this package touches Flask, the network, the environment or the file system.
"""
