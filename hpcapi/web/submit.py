"""POST /hpcapi/submit_job: FRCE's job submission, run as the authenticated user."""

from __future__ import annotations

from flask import Blueprint, Response, g

from hpcapi.core.submit import SubmitRequest, parse_submit_request
from hpcapi.core.translate import JobOwner, build_submit_body
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.identity import Identity
from hpcapi.slurm.client import SlurmUser
from hpcapi.slurm.errors import SlurmrestError
from hpcapi.web.body import read_json_body
from hpcapi.web.errors import backend_error
from hpcapi.web.identity import caller
from hpcapi.web.responses import success
from hpcapi.web.services import Services, services

blueprint = Blueprint("submit", __name__, url_prefix="/hpcapi")


def slurm_user(identity: Identity) -> SlurmUser:
    """The account slurmrestd calls are made for."""
    return SlurmUser(identity.local_user, identity.uid)


def check_dependencies(svc: Services, identity: Identity, request: SubmitRequest) -> None:
    """Refuse a dependency on a job that does not exist or is not the caller's."""
    if request.dependency is None:
        return
    user = slurm_user(identity)
    for job_id in sorted(request.dependency.job_ids):
        # Slurm 22.05 treats a dependency on an unknown job as satisfied, and lets anyone
        # depend on anyone's job: both would let a job start when its author did not mean it.
        job = svc.backend.live_job(user, job_id) or svc.backend.accounting_job(user, job_id)
        if job is None or job.user != identity.local_user:
            raise HpcapiError(
                ErrorCode.BAD_DEPENDENCY, f"job {job_id} does not exist or is not yours"
            )


@blueprint.post("/submit_job")
def submit_job() -> Response:
    """Validate the request, then submit it to Slurm as the caller."""
    identity = caller()
    svc = services()
    request = parse_submit_request(read_json_body(), svc.submit_policy)
    try:
        check_dependencies(svc, identity, request)
        config = svc.config
        body = build_submit_body(
            request,
            JobOwner(identity.local_user, identity.uid, identity.home, identity.shell),
            working_directory=config.working_directory.format(
                home=identity.home, user=identity.local_user
            ),
            path=config.job_path,
            lang=config.job_lang,
            api_version=svc.backend.api_version,
        )
        job_id = svc.backend.submit(slurm_user(identity), body)
    except SlurmrestError as exc:
        raise backend_error(exc, refused=ErrorCode.BACKEND_QUERY_JOB_SUBMISSION_FAILED) from None
    g.audit_reason = f"job={job_id}"
    return success(
        str(job_id), jobid=str(job_id), sbatch_lines_removed=request.sbatch_lines_removed
    )
