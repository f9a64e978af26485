"""GET /hpcapi/ping: slurmrestd reached with the caller's own token."""

from __future__ import annotations

from flask import Blueprint, Response

from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import services

blueprint = Blueprint("ping", __name__, url_prefix="/hpcapi")


@blueprint.get("/ping")
def ping() -> Response:
    """Ping Slurm through slurmrestd as the caller; report API version and latency."""
    answer = services().backend.ping(caller())
    return success("ping_success", backend={"reachable": True, **answer})
