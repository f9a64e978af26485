"""GET /hpcapi/health: for load balancers and monitoring, without authentication.

It reveals no user data: it pings Slurm with the token of an unprivileged account and reports
whether slurmrestd answered, the API version and the latency.
"""

from __future__ import annotations

from flask import Blueprint, Response

from hpcapi.web.identity import PUBLIC_PATHS
from hpcapi.web.responses import success
from hpcapi.web.services import services

blueprint = Blueprint("health", __name__, url_prefix="/hpcapi")


@blueprint.get("/health")
def health() -> Response:
    """Report whether hpcapi reaches Slurm (503 backend_unavailable when it does not)."""
    svc = services()
    answer = svc.backend.ping(svc.probe_user)
    return success(
        "healthy",
        backend={
            "reachable": True,
            "api_version": answer["api_version"],
            "latency_ms": answer["latency_ms"],
        },
    )


PUBLIC_PATHS.add("/hpcapi/health")
