"""hpcapi's use cases, without Flask: each takes the worker's services, the caller and the
request, and combines the checks of ``hpcapi.core`` with the calls of ``hpcapi.slurm``."""
