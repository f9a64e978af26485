"""GET /hpcapi/query_status: the caller's jobs of the last hours, in FRCE's shape."""

from __future__ import annotations

from flask import Blueprint, Response, request

from hpcapi.core.jobs import frce_job_entry
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import Job
from hpcapi.service.history import recent_history
from hpcapi.web.identity import caller
from hpcapi.web.responses import success
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

    def render(jobs: dict[int, Job]) -> bytes:
        entries = {str(job_id): frce_job_entry(jobs[job_id]) for job_id in sorted(jobs)}
        return success("query_success", **entries).get_data()

    return Response(history.rendered(render), mimetype="application/json")
