"""GET /hpcapi/query_status: the caller's jobs of the last hours, in FRCE's shape."""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from hpcapi.core.jobs import frce_job_entry, merge_jobs
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import services
from hpcapi.web.submit import slurm_user

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
    identity = caller()
    svc = services()
    hours = _hours(svc.config.history_default_hours, svc.config.history_max_hours)
    user = slurm_user(identity)
    accounting = svc.backend.accounting_jobs(user, identity.gid, hours)
    # A job submitted a moment ago may not be in accounting yet: slurmctld's record wins.
    cutoff = time.time() - hours * 3600
    live = [job for job in svc.backend.live_jobs(user) if (job.submit_time or 0) >= cutoff]
    jobs = merge_jobs(accounting, live)
    entries = {str(job_id): frce_job_entry(jobs[job_id]) for job_id in sorted(jobs)}
    return success("query_success", **entries)
