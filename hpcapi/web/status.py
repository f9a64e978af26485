"""GET /hpcapi/query_status: the caller's jobs of the last hours, in FRCE's shape."""

from __future__ import annotations

from flask import Blueprint, Response, request

from hpcapi.core.jobs import frce_job_entry
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.service.history import recent_history
from hpcapi.web.identity import caller
from hpcapi.web.responses import member, success_of_members
from hpcapi.web.services import services

blueprint = Blueprint("status", __name__, url_prefix="/hpcapi")


def _hours(default: int, maximum: int) -> int:
    raw = request.args.get("hours")
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER, f"hours must be a whole number from 1 to {maximum}"
        )
    return int(raw)


@blueprint.get("/query_status")
def query_status() -> Response:
    """The caller's jobs: slurmdbd's history merged with slurmctld's live view."""
    svc = services()
    hours = _hours(svc.config.history_default_hours, svc.config.history_max_hours)
    history = recent_history(svc, caller(), hours)
    body = history.rendered(
        lambda job: member(str(job.job_id), frce_job_entry(job, svc.config.history_time_format)),
        lambda members: success_of_members("query_success", members).get_data(),
    )
    return Response(body, mimetype="application/json")
