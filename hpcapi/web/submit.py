"""POST /hpcapi/submit_job: FRCE's job submission, run as the authenticated user.

Two additions to FRCE: ``?dry_run=1`` runs every check and answers the job description that
would be sent, creating nothing; and an ``Idempotency-Key`` header makes a retry return the
original job instead of creating a second one.

Idempotency is stored with the Slurm job itself, in its comment
(``hpcapi-idempotency:<key>:<request digest>``), so it survives hpcapi restarts and holds across
several hpcapi hosts. The remaining race: two first attempts with the same key that arrive at
the same moment on different workers or hosts can both find no job and both submit. Within one
worker a lock closes it; across workers the window is one look-up plus one submission (a few
milliseconds to a few hundred, while slurmdbd answers). A client that retries only after a
timeout or an error never meets it.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

from flask import Blueprint, Response, g
from flask import request as http_request

from hpcapi.core.records import filterable_job_name
from hpcapi.core.submit import SubmitRequest, parse_submit_request
from hpcapi.core.translate import JobOwner, build_submit_body, job_name
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

IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_COMMENT_PREFIX = "hpcapi-idempotency"
_TRUE = {"1", "true", "yes"}

# One lock per (user, key) within this worker: a retry racing its own first attempt here waits
# for it instead of submitting again.
_key_locks: dict[tuple[str, str], threading.Lock] = {}
_key_locks_guard = threading.Lock()


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


def check_memory_fits(svc: Services, identity: Identity, request: SubmitRequest) -> None:
    """Refuse memory no node of the partition has (Slurm 22.05 would record a FAILED job)."""
    per_task = None
    if request.mem_per_cpu_mb is not None:
        per_task = request.mem_per_cpu_mb * (request.cpus_per_task or 1)
    needed = request.mem_per_node_mb or per_task
    if needed is None:
        return
    largest = svc.backend.largest_node_memory(slurm_user(identity), request.partition)
    if largest is not None and needed > largest:
        raise HpcapiError(
            ErrorCode.BAD_MEMORY_SPEC,
            f"{needed} MB is more than any node in partition {request.partition} has "
            f"({largest} MB)",
        )


def _idempotency_key() -> str | None:
    values = http_request.headers.getlist(IDEMPOTENCY_HEADER)
    if not values:
        return None
    if len(values) > 1 or not _IDEMPOTENCY_KEY_RE.fullmatch(values[0]):
        raise HpcapiError(ErrorCode.BAD_IDEMPOTENCY_KEY)
    return values[0]


def request_digest(body: Any) -> str:
    """A digest of the request as sent, to tell a true retry from a reused key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def _lock_for(user: str, key: str) -> threading.Lock:
    with _key_locks_guard:
        if len(_key_locks) > 10_000:
            _key_locks.clear()
        return _key_locks.setdefault((user, key), threading.Lock())


def _earlier_submission(svc: Services, identity: Identity, key: str, digest: str,
                        job_name: str) -> int | None:
    """The job an earlier request with this key created, if any; 409 if its request differed.

    Looked for among every job slurmctld holds, and in accounting among the jobs of the window
    named ``job_name``: a true retry names its job alike, and without the name every first
    submission would fetch the user's whole window from slurmdbd (about 10 KB a job on Slurm
    22.05). So a reused key is noticed (409) while slurmctld holds the earlier job or when the
    names match. A name slurmdbd cannot safely be asked for means the whole window."""
    user = slurm_user(identity)
    prefix = f"{_COMMENT_PREFIX}:{key}:"
    live = svc.backend.live_jobs(user)
    accounting = svc.backend.accounting_jobs(user, identity.gid, svc.config.history_max_hours,
                                             filterable_job_name(job_name))
    matches = {job.job_id: job for job in [*accounting, *live]
               if job.comment and job.comment.startswith(prefix)}
    if not matches:
        return None
    same = sorted(job_id for job_id, job in matches.items() if job.comment == prefix + digest)
    if not same:
        raise HpcapiError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            f"Idempotency-Key {key!r} was used for a different request (job {min(matches)})",
        )
    return same[0]


def _describe_job(svc: Services, identity: Identity, request: SubmitRequest,
                  comment: str | None) -> dict[str, Any]:
    config = svc.config
    return build_submit_body(
        request,
        JobOwner(identity.local_user, identity.uid, identity.home, identity.shell),
        working_directory=config.working_directory.format(
            home=identity.home, user=identity.local_user
        ),
        path=config.job_path,
        lang=config.job_lang,
        api_version=svc.backend.api_version,
        comment=comment,
    )


def _submit(svc: Services, identity: Identity, body: dict[str, Any]) -> int:
    """Submit; only Slurm's answer to the submission itself is a final refusal (422)."""
    try:
        return svc.backend.submit(slurm_user(identity), body)
    except SlurmrestError as exc:
        raise backend_error(exc, refused=ErrorCode.BACKEND_QUERY_JOB_SUBMISSION_FAILED) from None


@blueprint.post("/submit_job")
def submit_job() -> Response:
    """Validate the request, then submit it to Slurm as the caller."""
    identity = caller()
    svc = services()
    key = _idempotency_key()
    dry_run = http_request.args.get("dry_run", "").lower() in _TRUE
    raw_body = read_json_body()
    request = parse_submit_request(raw_body, svc.submit_policy)
    digest = request_digest(raw_body)
    comment = f"{_COMMENT_PREFIX}:{key}:{digest}" if key else None
    try:
        check_memory_fits(svc, identity, request)
        check_dependencies(svc, identity, request)
        body = _describe_job(svc, identity, request, comment)
        if dry_run:
            g.audit_reason = "dry_run"
            return success("dry_run", job=body, sbatch_lines_removed=request.sbatch_lines_removed)
        if key is None:
            job_id = _submit(svc, identity, body)
            replay = False
        else:
            with _lock_for(identity.local_user, key):
                earlier = _earlier_submission(svc, identity, key, digest, job_name(request))
                replay = earlier is not None
                job_id = earlier if earlier is not None else _submit(svc, identity, body)
    except SlurmrestError as exc:
        # A look-up before the submission failed (slurmdbd down, say): an outage, answered
        # 502/503/504 so that clients retry, never as Slurm refusing the job.
        raise backend_error(exc) from None
    g.audit_reason = f"job={job_id}" + (" replay" if replay else "")
    extra: dict[str, Any] = {"idempotent_replay": True} if replay else {}
    return success(
        str(job_id),
        jobid=str(job_id),
        sbatch_lines_removed=request.sbatch_lines_removed,
        **extra,
    )
