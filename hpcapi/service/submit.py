"""Submitting a job as the caller: parse, check against Slurm, find an earlier attempt, submit.

Two additions to FRCE: a dry run runs every check and answers the body that would be sent,
creating nothing; and an idempotency key makes a retry return the original job instead of
creating a second one.

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
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hpcapi.core.submit import SubmitRequest, parse_submit_request
from hpcapi.core.translate import describe_job, job_name
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import Identity, JobDescription
from hpcapi.protocol import IDEMPOTENCY_KEY_RE
from hpcapi.service.context import Services
from hpcapi.service.failures import slurm_failure
from hpcapi.slurm.endpoints import filterable_job_name
from hpcapi.slurm.errors import SlurmrestError

_COMMENT_PREFIX = "hpcapi-idempotency"

# One lock per (user, key) within this worker: a retry racing its own first attempt here waits
# for it instead of submitting again.
_key_locks: dict[tuple[str, str], threading.Lock] = {}
_key_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Submitted:
    """What a submission gave: the job id (None for a dry run), or the body a dry run shows."""

    job_id: int | None
    sbatch_lines_removed: int
    replay: bool = False
    dry_run_body: dict[str, Any] | None = None


def check_idempotency_key(values: Sequence[str]) -> str | None:
    """The request's one idempotency key, None without one; a bad or repeated key is refused."""
    if not values:
        return None
    if len(values) > 1 or not IDEMPOTENCY_KEY_RE.fullmatch(values[0]):
        raise HpcapiError(ErrorCode.BAD_IDEMPOTENCY_KEY)
    return values[0]


def request_digest(body: Any) -> str:
    """A digest of the request as sent, to tell a true retry from a reused key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def check_dependencies(svc: Services, caller: Identity, request: SubmitRequest) -> None:
    """Refuse a dependency on a job that does not exist or is not the caller's."""
    if request.dependency is None:
        return
    for job_id in sorted(request.dependency.job_ids):
        # Slurm 22.05 treats a dependency on an unknown job as satisfied, and lets anyone
        # depend on anyone's job: both would let a job start when its author did not mean it.
        job = svc.backend.live_job(caller, job_id) or svc.backend.accounting_job(caller, job_id)
        if job is None or job.user != caller.local_user:
            raise HpcapiError(
                ErrorCode.BAD_DEPENDENCY, f"job {job_id} does not exist or is not yours"
            )


def check_memory_fits(svc: Services, caller: Identity, request: SubmitRequest) -> None:
    """Refuse memory no node of the partition has (Slurm 22.05 would record a FAILED job)."""
    per_task = None
    if request.mem_per_cpu_mb is not None:
        per_task = request.mem_per_cpu_mb * (request.cpus_per_task or 1)
    needed = request.mem_per_node_mb or per_task
    if needed is None:
        return
    largest = svc.backend.largest_node_memory(caller, request.partition)
    if largest is not None and needed > largest:
        raise HpcapiError(
            ErrorCode.BAD_MEMORY_SPEC,
            f"{needed} MB is more than any node in partition {request.partition} has "
            f"({largest} MB)",
        )


def _lock_for(user: str, key: str) -> threading.Lock:
    with _key_locks_guard:
        if len(_key_locks) > 10_000:
            _key_locks.clear()
        return _key_locks.setdefault((user, key), threading.Lock())


def _earlier_submission(svc: Services, caller: Identity, key: str, digest: str,
                        name: str) -> int | None:
    """The job an earlier request with this key created, if any; 409 if its request differed.

    Looked for among every job slurmctld holds, and in accounting among the jobs of the window
    named ``name``: a true retry names its job alike, and without the name every first
    submission would fetch the user's whole window from slurmdbd (about 10 KB a job on Slurm
    22.05). So a reused key is noticed (409) while slurmctld holds the earlier job or when the
    names match. A name slurmdbd cannot safely be asked for means the whole window."""
    prefix = f"{_COMMENT_PREFIX}:{key}:"
    live = svc.backend.live_jobs(caller)
    accounting = svc.backend.accounting_jobs(caller, svc.config.history_max_hours,
                                             filterable_job_name(name))
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


def _describe(svc: Services, caller: Identity, request: SubmitRequest,
              comment: str | None) -> JobDescription:
    config = svc.config
    return describe_job(
        request,
        caller,
        working_directory=config.working_directory.format(
            home=caller.home, user=caller.local_user
        ),
        path=config.job_path,
        lang=config.job_lang,
        comment=comment,
        now=time.time(),
    )


def _submit(svc: Services, caller: Identity, job: JobDescription) -> int:
    """Submit; only Slurm's answer to the submission itself is a final refusal (422)."""
    try:
        return svc.backend.submit(caller, job)
    except SlurmrestError as exc:
        refused = ErrorCode.BACKEND_QUERY_JOB_SUBMISSION_FAILED
        raise slurm_failure(exc, refused=refused) from exc


def submit_job(svc: Services, caller: Identity, raw_body: Any, key: str | None = None,
               dry_run: bool = False) -> Submitted:
    """Validate a submit_job body, then submit it to Slurm as ``caller`` (or only describe it)."""
    request = parse_submit_request(raw_body, svc.submit_policy)
    digest = request_digest(raw_body)
    comment = f"{_COMMENT_PREFIX}:{key}:{digest}" if key else None
    removed = request.sbatch_lines_removed
    try:
        check_memory_fits(svc, caller, request)
        check_dependencies(svc, caller, request)
        job = _describe(svc, caller, request, comment)
        if dry_run:
            return Submitted(None, removed, dry_run_body=svc.backend.submit_body(job))
        if key is None:
            return Submitted(_submit(svc, caller, job), removed)
        with _lock_for(caller.local_user, key):
            earlier = _earlier_submission(svc, caller, key, digest, job_name(request))
            if earlier is not None:
                return Submitted(earlier, removed, replay=True)
            return Submitted(_submit(svc, caller, job), removed)
    except SlurmrestError as exc:
        # A look-up before the submission failed (slurmdbd down, say): an outage, answered
        # 502/503/504 so that clients retry, never as Slurm refusing the job.
        raise slurm_failure(exc) from exc
