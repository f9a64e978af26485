"""One of the caller's jobs: GET /hpcapi/job/<id>, and cancelling it (DELETE, or FRCE's POST
/hpcapi/cancel_job). Someone else's job and a job that does not exist answer the same 404."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from hpcapi.core.jobs import job_detail
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.service.jobs import cancel_job, find_own_job, parse_job_id
from hpcapi.service.output import job_output
from hpcapi.web.body import read_json_body
from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import services

blueprint = Blueprint("jobs", __name__, url_prefix="/hpcapi")


@blueprint.get("/job/<job_id>")
def get_job(job_id: str) -> Response:
    """One of the caller's jobs, merged from slurmctld and accounting."""
    svc = services()
    job = find_own_job(svc, caller(), parse_job_id(job_id))
    return success("job_found", job=job_detail(job, svc.config.history_time_format))


@blueprint.get("/job/<job_id>/output")
def get_job_output(job_id: str) -> Response:
    """Part of the caller's job's stdout or stderr, read as the caller (hpcapi-outputd)."""
    wanted, answer, data = job_output(services(), caller(), job_id, request.args.to_dict())
    if wanted.raw:
        return Response(data, mimetype="text/plain")
    return success("output_read", output=answer)


def _cancel(raw_job_id: object) -> Response:
    job_id = parse_job_id(raw_job_id)
    cancel_job(services(), caller(), job_id)
    g.audit_reason = f"cancelled={job_id}"
    return success("cancel_success", jobid=str(job_id))


@blueprint.delete("/job/<job_id>")
def delete_job(job_id: str) -> Response:
    """Cancel one of the caller's jobs."""
    return _cancel(job_id)


@blueprint.post("/cancel_job")
def cancel_job_frce() -> Response:
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
