"""One of the caller's jobs: GET /hpcapi/job/<id>, and cancelling it (DELETE, or FRCE's POST
/hpcapi/cancel_job). Someone else's job and a job that does not exist answer the same 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from hpcapi.core.jobs import Job, expand_output_path, format_time
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.identity import Identity
from hpcapi.slurm.backend import JobFinishedError, JobGoneError
from hpcapi.web.body import read_json_body
from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import services
from hpcapi.web.submit import slurm_user

blueprint = Blueprint("jobs", __name__, url_prefix="/hpcapi")


def _job_id(raw: object) -> int:
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**32:
        raise HpcapiError(ErrorCode.JOB_NOT_FOUND, f"there is no job {str(raw)[:40]!r} of yours")
    return int(text)


def find_own_job(identity: Identity, job_id: int) -> Job:
    """The caller's job, from slurmctld or else from accounting; 404 if not theirs."""
    backend = services().backend
    user = slurm_user(identity)
    # The live record first: it is fresh, and its exit code is right where Slurm 22.05's
    # accounting reports 0 for every normal exit.
    job = backend.live_job(user, job_id) or backend.accounting_job(user, job_id)
    if job is None or job.user != identity.local_user:
        raise HpcapiError(ErrorCode.JOB_NOT_FOUND, f"there is no job {job_id} of yours")
    return job


def job_detail(job: Job) -> dict[str, Any]:
    """A job as GET /hpcapi/job/<id> shows it."""
    output = expand_output_path(job.output, job) if job.output else None
    error = expand_output_path(job.error, job) if job.error else output
    return {
        "job_id": str(job.job_id),
        "user": job.user,
        "name": job.name,
        "partition": job.partition,
        "state": job.state,
        "reason": job.reason,
        "submit": format_time(job.submit_time),
        "start": format_time(job.start_time),
        "end": format_time(job.end_time),
        "time_limit": job.time_limit,
        "exit_code": job.exit_code,
        "signal": job.signal,
        "nodes": job.nodes,
        "output": output,
        "error": error,
        "working_directory": job.working_directory,
    }


@blueprint.get("/job/<job_id>")
def get_job(job_id: str) -> Response:
    """One of the caller's jobs, merged from slurmctld and accounting."""
    job = find_own_job(caller(), _job_id(job_id))
    return success("job_found", job=job_detail(job))


def _cancel(raw_job_id: object) -> Response:
    identity = caller()
    job_id = _job_id(raw_job_id)
    job = find_own_job(identity, job_id)
    if job.finished:
        raise HpcapiError(
            ErrorCode.JOB_ALREADY_FINISHED, f"job {job_id} has already finished ({job.state})"
        )
    try:
        services().backend.cancel(slurm_user(identity), job_id)
    except JobFinishedError:
        raise HpcapiError(
            ErrorCode.JOB_ALREADY_FINISHED, f"job {job_id} has already finished"
        ) from None
    except JobGoneError:
        raise HpcapiError(ErrorCode.JOB_NOT_FOUND, f"there is no job {job_id} of yours") from None
    g.audit_reason = f"cancelled={job_id}"
    return success("cancel_success", jobid=str(job_id))


@blueprint.delete("/job/<job_id>")
def delete_job(job_id: str) -> Response:
    """Cancel one of the caller's jobs."""
    return _cancel(job_id)


@blueprint.post("/cancel_job")
def cancel_job() -> Response:
    """FRCE-style cancel: ``{"jobid": "<id>"}``."""
    body = read_json_body()
    if not isinstance(body, dict):
        raise HpcapiError(ErrorCode.POSTDATA_PARSE_ERROR, "the body must be a JSON object")
    unknown = sorted(set(body) - {"jobid"})
    if unknown:
        raise HpcapiError(ErrorCode.UNKNOWN_PARAMETER, f"unknown field {unknown[0]!r}")
    if "jobid" not in body:
        raise HpcapiError(ErrorCode.BAD_PARAMETER, "give the job to cancel as jobid")
    return _cancel(body["jobid"])
