"""hpcapi's own job model, how history merges its two sources, and FRCE's job entry.

slurmctld's live record and slurmdbd's accounting record describe the same job differently;
``hpcapi.core.records`` reads both, for every API version, into ``Job`` so that history can merge
them (the live record wins: accounting lags by seconds, and Slurm 22.05's accounting reports exit
code 0 for every normal exit).
"""

from __future__ import annotations

from collections.abc import Iterable
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
