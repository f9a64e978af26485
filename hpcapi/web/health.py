"""Health probes for load balancers and monitoring, without authentication.

- ``/hpcapi/health/live``: this process answers (no backend call): restart it if not.
- ``/hpcapi/health/ready``: it can serve, slurmrestd reachable and its API version known: send
  it requests if so. slurmrestd is shared by every node, so a load balancer should check
  ``live``; a node that is live but not ready fails its requests with a named 503.
- ``/hpcapi/health``: as ``ready``, the answer it has always given.

None reveals user data: slurmrestd is pinged with the token of an unprivileged account.
"""

from __future__ import annotations

from flask import Blueprint, Response

from hpcapi.web.identity import PUBLIC_PATHS
from hpcapi.web.responses import success
from hpcapi.web.services import services

blueprint = Blueprint("health", __name__, url_prefix="/hpcapi")


def _backend_answer(reason: str) -> Response:
    """``reason`` with slurmrestd's version and latency (503 backend_unavailable without it)."""
    svc = services()
    answer = svc.backend.ping(svc.probe_user)
    return success(
        reason,
        backend={
            "reachable": True,
            "api_version": answer["api_version"],
            "latency_ms": answer["latency_ms"],
        },
    )


@blueprint.get("/health")
def health() -> Response:
    """Report whether hpcapi reaches Slurm (503 backend_unavailable when it does not)."""
    return _backend_answer("healthy")


@blueprint.get("/health/ready")
def ready() -> Response:
    """Report whether this process can serve: slurmrestd answers and its version is known."""
    return _backend_answer("ready")


@blueprint.get("/health/live")
def live() -> Response:
    """Report that this process answers, asking nothing of Slurm."""
    return success("alive")


PUBLIC_PATHS.update({"/hpcapi/health", "/hpcapi/health/ready", "/hpcapi/health/live"})
