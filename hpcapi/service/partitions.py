"""The partitions the caller may submit to, as Slurm describes them."""

from __future__ import annotations

from hpcapi.model import Identity, Partition
from hpcapi.service.context import Services


def allowed_partitions(svc: Services, caller: Identity) -> list[Partition]:
    """The allowed partitions Slurm knows, in the site's configured order."""
    known = {part.name: part for part in svc.backend.partitions(caller)}
    return [known[name] for name in svc.config.allowed_partitions if name in known]
