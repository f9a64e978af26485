"""hpcapi: a Kerberos-authenticated HTTP API for submitting Slurm batch jobs."""

__version__ = "0.1.0"
