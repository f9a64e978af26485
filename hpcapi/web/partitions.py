"""GET /hpcapi/partitions: the partitions the caller may submit to, with Slurm's limits."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response

from hpcapi.service.partitions import allowed_partitions
from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import services

blueprint = Blueprint("partitions", __name__, url_prefix="/hpcapi")


@blueprint.get("/partitions")
def partitions() -> Response:
    """The allowed partitions Slurm knows, in the site's configured order."""
    found = allowed_partitions(services(), caller())
    return success("query_success", partitions=[asdict(part) for part in found])
