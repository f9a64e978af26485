"""GET /hpcapi/nodes: the nodes of the partitions the caller may submit to."""

from __future__ import annotations

from flask import Blueprint, Response

from hpcapi.model import Node
from hpcapi.service.nodes import allowed_nodes
from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import services

blueprint = Blueprint("nodes", __name__, url_prefix="/hpcapi")


def _node_entry(node: Node) -> dict[str, object]:
    return {"name": node.name, "state": list(node.state), "partitions": list(node.partitions),
            "cpus": node.cpus, "memory_mb": node.real_memory, "features": list(node.features),
            "gres": node.gres, "reason": node.reason}


@blueprint.get("/nodes")
def nodes() -> Response:
    """State, CPUs, memory, features and generic resources of each allowed partition's nodes."""
    found = allowed_nodes(services(), caller())
    return success("query_success", nodes=[_node_entry(node) for node in found])
