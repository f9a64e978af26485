"""GET /hpcapi/partitions: the partitions the caller may submit to, with Slurm's limits."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response

from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import services
from hpcapi.web.submit import slurm_user

blueprint = Blueprint("partitions", __name__, url_prefix="/hpcapi")


@blueprint.get("/partitions")
def partitions() -> Response:
    """The allowed partitions Slurm knows, in the site's configured order."""
    svc = services()
    known = {part.name: part for part in svc.backend.partitions(slurm_user(caller()))}
    allowed = [asdict(known[name]) for name in svc.config.allowed_partitions if name in known]
    return success("query_success", partitions=allowed)
