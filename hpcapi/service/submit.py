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
# How long past its slurmrestd timeout a submission may take; how often a worker waiting for
# another worker's submission of the same key looks again.
_SUBMIT_MARGIN_SECONDS = 5.0
_CLAIM_POLL_SECONDS = 0.05

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
    # mem-per-node 0 is "all of each node's memory" (sbatch --mem=0): it always fits.
    needed = request.mem_per_node_mb if request.mem_per_node_mb is not None else per_task
    if not needed:
        return
    field = "mem-per-node" if request.mem_per_node_mb is not None else "mem-per-cpu"
    largest = svc.backend.largest_node_memory(caller, request.partition)
    if largest is not None and needed > largest:
        raise HpcapiError(
            ErrorCode.BAD_MEMORY_SPEC,
            f"{field}: {needed} MB is more than any node in partition {request.partition}"
            f" has ({largest} MB)",
        )


def _lock_for(user: str, key: str) -> threading.Lock:
    with _key_locks_guard:
        if len(_key_locks) > 10_000:
            _key_locks.clear()
        return _key_locks.setdefault((user, key), threading.Lock())


def _replay_or_refuse(key: str, digest: str, job_id: int, earlier_digest: str | None) -> int:
    if earlier_digest != digest:
        raise HpcapiError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            f"Idempotency-Key {key!r} was used for a different request (job {job_id})",
        )
    return job_id


def _comment_key(comment: str | None) -> tuple[str, str] | None:
    """(key, digest) of an hpcapi idempotency comment; keys may hold ':', digests never."""
    if not comment or not comment.startswith(_COMMENT_PREFIX + ":"):
        return None
    key, _, digest = comment[len(_COMMENT_PREFIX) + 1:].rpartition(":")
    return (key, digest) if key else None


def _search_slurm(svc: Services, caller: Identity, key: str, digest: str, name: str,
                  live: bool) -> int | None:
    """The job an earlier request with this key created, as Slurm knows it; 409 if its request
    differed.

    Looked for in accounting among the jobs of the window named ``name`` (a true retry names its
    job alike; a name slurmdbd cannot safely be asked for means the whole window), and with
    ``live`` among every job slurmctld holds too: the costly part, needed only when an earlier
    attempt's outcome is unknown."""
    jobs = svc.backend.accounting_jobs(caller, svc.config.history_max_hours * 3600,
                                       filterable_job_name(name))
    if live:
        jobs += svc.backend.live_jobs(caller)
    matches = {job.job_id: found for job in jobs if (found := _comment_key(job.comment))
               and found[0] == key}
    if not matches:
        return None
    same = sorted(job_id for job_id, (_, earlier) in matches.items() if earlier == digest)
    if not same:
        return _replay_or_refuse(key, digest, min(matches), None)
    return same[0]


def _earlier_submission(svc: Services, caller: Identity, key: str, digest: str,
                        name: str) -> int | None:
    """The job an earlier request with this key created, if any (claiming the key if none).

    This host's journal answers a retry that comes back here, also after a restart: a key it
    does not know was never sent here, and with one host that settles it without asking Slurm.
    Slurm is asked only for what the journal cannot know: with ``[state] several_hosts``, a
    first attempt on another host (in accounting once its job has started; before, in
    slurmctld's full list), and an attempt whose worker died while submitting it, or whose
    answer from Slurm broke off (slurmctld's full list)."""
    user = caller.local_user
    deadline = time.monotonic() + svc.config.backend_timeout + _SUBMIT_MARGIN_SECONDS
    while True:
        entry = svc.journal.keyed_submission(user, key)
        if entry is not None and entry.job_id is not None:
            return _replay_or_refuse(key, digest, entry.job_id, entry.digest)
        if entry is None:
            if svc.config.several_hosts:
                # Another host may have made it; while it is pending, only slurmctld can say.
                found = _search_slurm(svc, caller, key, digest, name, live=True)
                if found is not None:
                    svc.journal.submitted(user, found, key, digest)
                    return found
            if svc.journal.claim_submission(user, key, digest):
                return None
            continue  # another worker claimed the key meanwhile: look again
        # Being submitted by another worker of this host right now: wait for its answer.
        if entry.in_progress and time.monotonic() < deadline:
            time.sleep(_CLAIM_POLL_SECONDS)
            continue
        # Its submission failed mid-way, or its worker stopped while submitting: whether Slurm
        # made the job is unknown.
        found = _search_slurm(svc, caller, key, digest, name, live=True)
        if found is not None:
            svc.journal.submitted(user, found, key, digest)
            return found
        svc.journal.reclaim_submission(user, key, digest)
        return None


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
        rules=svc.backend.sbatch_rules,
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
        # Rendering refuses what this Slurm release cannot carry (a named 400): here, before
        # the idempotency lock, so that no journal entry is left saying "outcome unknown".
        body = svc.backend.submit_body(job)
        if dry_run:
            return Submitted(None, removed, dry_run_body=body)
        user = caller.local_user
        if key is None:
            job_id = _submit(svc, caller, job)
            svc.journal.submitted(user, job_id)
            return Submitted(job_id, removed)
        with _lock_for(user, key):
            earlier = _earlier_submission(svc, caller, key, digest, job_name(request))
            if earlier is not None:
                return Submitted(earlier, removed, replay=True)
            try:
                job_id = _submit(svc, caller, job)
            except HpcapiError as exc:
                if exc.code is ErrorCode.BACKEND_QUERY_JOB_SUBMISSION_FAILED:
                    svc.journal.release_submission(user, key)  # Slurm made no job
                else:
                    # Slurm may have made the job: a retry asks Slurm for it.
                    svc.journal.outcome_unknown(user, key)
                raise
            svc.journal.submitted(user, job_id, key, digest)
            return Submitted(job_id, removed)
    except SlurmrestError as exc:
        # A look-up before the submission failed (slurmdbd down, say): an outage, answered
        # 502/503/504 so that clients retry, never as Slurm refusing the job.
        raise slurm_failure(exc) from exc
