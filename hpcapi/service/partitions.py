"""The partitions the caller may submit to, as Slurm describes them."""

from __future__ import annotations

from dataclasses import replace

from hpcapi.model import Identity, Partition
from hpcapi.service.context import Services


def allowed_partitions(svc: Services, caller: Identity) -> list[Partition]:
    """The allowed partitions Slurm knows, in the site's configured order; the configured
    default partition, where there is one, is the one marked default."""
    known = {part.name: part for part in svc.backend.partitions(caller)}
    found = [known[name] for name in svc.config.allowed_partitions if name in known]
    default = svc.config.default_partition
    if not default:
        return found
    # Slurm 23.11+ slurmrestd does not say which partition is the default, so the site says.
    return [replace(part, default=part.name == default) for part in found]
