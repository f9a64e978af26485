"""hpcapi's own job model, and readers that turn slurmrestd's job records into it.

slurmctld's live record and slurmdbd's accounting record describe the same job differently;
both are read into ``Job`` so that history can merge them (the live record wins: accounting
lags by seconds, and Slurm 22.05's accounting reports exit code 0 for every normal exit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# States after which a job no longer changes (Slurm's job_state_string() names).
FINISHED_STATES = frozenset(
    {
        "BOOT_FAIL",
        "CANCELLED",
        "COMPLETED",
        "DEADLINE",
        "FAILED",
        "NODE_FAIL",
        "OUT_OF_MEMORY",
        "PREEMPTED",
        "TIMEOUT",
    }
)


@dataclass(frozen=True)
class Job:
    """One job as hpcapi reports it; times are epoch seconds, None when not (yet) known."""

    job_id: int
    user: str
    name: str
    partition: str
    state: str
    reason: str | None
    submit_time: int | None
    start_time: int | None
    end_time: int | None
    exit_code: int | None
    signal: int | None
    source: str  # "live" (slurmctld) or "accounting" (slurmdbd)

    @property
    def finished(self) -> bool:
        """True once the job is in a final state."""
        return self.state in FINISHED_STATES


def _epoch(value: object) -> int | None:
    """A Slurm time field as epoch seconds; 0, negatives and non-numbers mean unknown."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value > 0 else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _state_word(value: object) -> str:
    # v0.0.38 gives "COMPLETED"; later versions give a list such as ["COMPLETED"].
    if isinstance(value, list):
        value = value[0] if value else ""
    return _text(value).upper() or "UNKNOWN"


def _shown_times(state: str, start: int | None, end: int | None) -> tuple[int | None, int | None]:
    # For pending jobs slurmctld fills start/end with its forecast; for running jobs end is the
    # time limit. Report only what has happened.
    if state == "PENDING":
        return None, None
    if state not in FINISHED_STATES:
        return start, None
    return start, end


def decode_wait_status(status: object) -> tuple[int | None, int | None]:
    """Split a raw wait(2) status (the live record's exit_code) into (exit code, signal)."""
    if isinstance(status, bool) or not isinstance(status, int) or status < 0:
        return None, None
    signal = status & 0x7F
    if signal:
        return None, signal
    return (status >> 8) & 0xFF, None


def read_live_job_v0038(record: Mapping[str, Any]) -> Job:
    """Read one v0.0.38 ``/slurm/v0.0.38/job(s)`` record (slurmctld's view)."""
    state = _state_word(record.get("job_state"))
    start, end = _shown_times(
        state, _epoch(record.get("start_time")), _epoch(record.get("end_time"))
    )
    exit_code, signal = (None, None)
    if state in FINISHED_STATES:
        exit_code, signal = decode_wait_status(record.get("exit_code"))
    reason = _text(record.get("state_reason"))
    return Job(
        job_id=int(record["job_id"]),
        user=_text(record.get("user_name")),
        name=_text(record.get("name")),
        partition=_text(record.get("partition")),
        state=state,
        reason=None if reason in ("", "None") else reason,
        submit_time=_epoch(record.get("submit_time")),
        start_time=start,
        end_time=end,
        exit_code=exit_code,
        signal=signal,
        source="live",
    )


def read_db_job_v0038(record: Mapping[str, Any]) -> Job:
    """Read one v0.0.38 ``/slurmdb/v0.0.38/job(s)`` record (slurmdbd's accounting view)."""
    state_block = _mapping(record.get("state"))
    state = _state_word(state_block.get("current"))
    times = _mapping(record.get("time"))
    start, end = _shown_times(state, _epoch(times.get("start")), _epoch(times.get("end")))
    exit_block = _mapping(record.get("exit_code"))
    exit_code = exit_block.get("return_code") if state in FINISHED_STATES else None
    reason = _text(state_block.get("reason"))
    return Job(
        job_id=int(record["job_id"]),
        user=_text(record.get("user")),
        name=_text(record.get("name")),
        partition=_text(record.get("partition")),
        state=state,
        reason=None if reason in ("", "None") else reason,
        submit_time=_epoch(times.get("submission")),
        start_time=start,
        end_time=end,
        exit_code=exit_code if isinstance(exit_code, int) else None,
        signal=None,
        source="accounting",
    )


def merge_jobs(accounting: Iterable[Job], live: Iterable[Job]) -> dict[int, Job]:
    """Merge both views by job id; the live record wins where both know a job."""
    merged = {job.job_id: job for job in accounting}
    merged.update((job.job_id, job) for job in live)
    return merged


def format_time(epoch: int | None) -> str | None:
    """An epoch time as ISO 8601 in UTC, or None."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def frce_job_entry(job: Job) -> dict[str, Any]:
    """A job in FRCE's query_status shape, with hpcapi's extra keys after FRCE's six."""
    return {
        "user": job.user,
        "name": job.name,
        "partition": job.partition,
        "start": format_time(job.start_time),
        "end": format_time(job.end_time),
        "state": job.state,
        "submit": format_time(job.submit_time),
        "exit_code": job.exit_code,
        "reason": job.reason,
    }
