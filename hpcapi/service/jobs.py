"""One of the caller's jobs: its detail, and cancelling it. Someone else's job and a job that
does not exist are the same ``job_not_found``."""

from __future__ import annotations

from hpcapi.core.slurmsyntax import MAX_ARRAY_INDEX
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import Identity, Job
from hpcapi.service.context import Services
from hpcapi.slurm.errors import JobFinishedError, JobGoneError


def parse_job_id(raw: object) -> int:
    """A job id as the caller gave it (text or a JSON number); anything else is no job of theirs."""
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**32:
        raise HpcapiError(ErrorCode.JOB_NOT_FOUND, f"there is no job {str(raw)[:40]!r} of yours")
    return int(text)


def parse_task_ref(raw: object) -> tuple[int, int | None]:
    """A job id or an array task as Slurm writes it (``"42"``, ``"42_3"``): (id, task or None)."""
    text = str(raw).strip() if isinstance(raw, str) else raw
    if isinstance(text, str) and "_" in text:
        job_text, _, task_text = text.partition("_")
        if task_text.isascii() and task_text.isdigit() and int(task_text) <= MAX_ARRAY_INDEX:
            return parse_job_id(job_text), int(task_text)
        raise HpcapiError(ErrorCode.JOB_NOT_FOUND, f"there is no job {text[:40]!r} of yours")
    return parse_job_id(raw), None


def task_name(job_id: int, task: int | None) -> str:
    """``42`` or ``42_3``, as Slurm names a job or an array task."""
    return str(job_id) if task is None else f"{job_id}_{task}"


def find_own_job(svc: Services, caller: Identity, job_id: int, task: int | None = None) -> Job:
    """The caller's job (or array ``job_id``'s ``task``), from slurmctld or else from
    accounting; job_not_found if not theirs."""
    backend = svc.backend
    # The live record first: it is fresh, and its exit code is right where Slurm 22.05's
    # accounting reports 0 for every normal exit.
    job = backend.live_job(caller, job_id, task) or backend.accounting_job(caller, job_id, task)
    if job is None or job.user != caller.local_user:
        raise HpcapiError(ErrorCode.JOB_NOT_FOUND,
                          f"there is no job {task_name(job_id, task)} of yours")
    return job


def cancel_job(svc: Services, caller: Identity, job_id: int) -> None:
    """Cancel one of the caller's jobs; job_already_finished once it has ended."""
    job = find_own_job(svc, caller, job_id)
    if job.finished:
        raise HpcapiError(
            ErrorCode.JOB_ALREADY_FINISHED, f"job {job_id} has already finished ({job.state})"
        )
    try:
        svc.backend.cancel(caller, job_id)
    except JobFinishedError as exc:
        # It ended between the look-up and the cancel.
        raise HpcapiError(
            ErrorCode.JOB_ALREADY_FINISHED, f"job {job_id} has already finished"
        ) from exc
    except JobGoneError as exc:
        raise HpcapiError(ErrorCode.JOB_NOT_FOUND, f"there is no job {job_id} of yours") from exc
    svc.journal.cancelled(caller.local_user, job_id)
