"""The nodes of the partitions the caller may submit to, so that constraint and gres can be
chosen: read-only (changing nodes stays with Slurm's own tools)."""

from __future__ import annotations

from dataclasses import replace

from hpcapi.model import Identity, Node
from hpcapi.service.context import Services


def allowed_nodes(svc: Services, caller: Identity) -> list[Node]:
    """Each node in at least one allowed partition, with only those partitions named."""
    allowed = svc.config.allowed_partitions
    found = []
    for node in svc.backend.nodes(caller):
        shown = tuple(name for name in node.partitions if name in allowed)
        if shown:
            found.append(replace(node, partitions=shown))
    return found
