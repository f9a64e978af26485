"""POST /hpcapi/submit_job: FRCE's job submission, run as the authenticated user.

``?dry_run=1`` answers the body that would be sent, creating nothing; an ``Idempotency-Key``
header makes a retry return the original job (``hpcapi.service.submit`` says how).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g
from flask import request as http_request

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.protocol import IDEMPOTENCY_HEADER
from hpcapi.service.submit import check_idempotency_key, submit_job
from hpcapi.web.body import read_json_body
from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import services

blueprint = Blueprint("submit", __name__, url_prefix="/hpcapi")

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def _dry_run() -> bool:
    """?dry_run=1|true|yes or 0|false|no; any other value is refused rather than taken for "no",
    which would submit a real job that was meant as a test."""
    raw = http_request.args.get("dry_run")
    if raw is None:
        return False
    value = raw.lower()
    if value not in _TRUE | _FALSE:
        raise HpcapiError(ErrorCode.BAD_PARAMETER, "dry_run must be 1 or 0 (true/false, yes/no)")
    return value in _TRUE


@blueprint.post("/submit_job")
def submit() -> Response:
    """Validate the request, then submit it to Slurm as the caller."""
    key = check_idempotency_key(http_request.headers.getlist(IDEMPOTENCY_HEADER))
    dry_run = _dry_run()
    done = submit_job(services(), caller(), read_json_body(), key, dry_run)
    if done.job_id is None:
        g.audit_reason = "dry_run"
        return success("dry_run", job=done.dry_run_body,
                       sbatch_lines_removed=done.sbatch_lines_removed)
    g.audit_reason = f"job={done.job_id}" + (" replay" if done.replay else "")
    extra: dict[str, Any] = {"idempotent_replay": True} if done.replay else {}
    return success(str(done.job_id), jobid=str(done.job_id),
                   sbatch_lines_removed=done.sbatch_lines_removed, **extra)
