"""Wait for jobs to finish: poll with backoff, show a progress line on a terminal only."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from hpcapi.client.api import is_finished
from hpcapi.client.errors import UnreachableError


class JobSource(Protocol):
    """Anything that returns a job record by id (``HpcapiClient`` does)."""

    def job(self, job_id: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WaitPolicy:
    """How often to poll: start quick, slow down while nothing changes."""

    initial: float = 2.0
    factor: float = 1.5
    maximum: float = 30.0
    timeout: float | None = None
    # Outages of the server are ridden out for this many polls in a row.
    max_unreachable: int = 5


class WaitTimeoutError(Exception):
    """The jobs were not all finished when the timeout came; ``jobs`` has their last state."""

    def __init__(self, jobs: dict[str, dict[str, Any]]) -> None:
        super().__init__("timed out waiting for jobs")
        self.jobs = jobs


def succeeded(job: Mapping[str, Any]) -> bool:
    """Whether a finished job completed with exit code 0."""
    state = str(job.get("state") or "").split(" ")[0].upper()
    return state == "COMPLETED" and job.get("exit_code") in (0, None)


class ProgressLine:
    """A one-line, self-overwriting summary on a terminal; silent anywhere else."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self.clock = clock
        self.started = clock()
        self.width = 0

    def show(self, jobs: Mapping[str, Mapping[str, Any]]) -> None:
        """Redraw the line from the jobs' current states."""
        if not self.enabled:
            return
        states = Counter(str(job.get("state") or "UNKNOWN") for job in jobs.values())
        done = sum(1 for job in jobs.values() if is_finished(job))
        parts = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
        text = f"{done}/{len(jobs)} finished: {parts} [{int(self.clock() - self.started)}s]"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        """Remove the line, so later messages start at column 0."""
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def wait_for_jobs(
    client: JobSource,
    job_ids: Iterable[str],
    policy: WaitPolicy | None = None,
    progress: ProgressLine | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, dict[str, Any]]:
    """Poll until every job is finished; return the final records by job id."""
    policy = policy or WaitPolicy()
    ids = list(dict.fromkeys(str(job_id) for job_id in job_ids))
    jobs: dict[str, dict[str, Any]] = {job_id: {"state": "UNKNOWN"} for job_id in ids}
    deadline = None if policy.timeout is None else clock() + policy.timeout
    interval = policy.initial
    unreachable = 0
    try:
        while True:
            changed = False
            try:
                for job_id in ids:
                    if is_finished(jobs[job_id]):
                        continue
                    record = client.job(job_id)
                    if record.get("state") != jobs[job_id].get("state"):
                        changed = True
                    jobs[job_id] = record
                unreachable = 0
            except UnreachableError:
                # The client already retried with backoff; a long wait should survive a
                # server restart, but not an outage without end.
                unreachable += 1
                if unreachable > policy.max_unreachable:
                    raise
            if progress:
                progress.show(jobs)
            if all(is_finished(job) for job in jobs.values()):
                return jobs
            if deadline is not None and clock() >= deadline:
                raise WaitTimeoutError(jobs)
            # Back to quick polling whenever something moved; slower while nothing does.
            interval = policy.initial if changed else min(policy.maximum, interval * policy.factor)
            pause = interval if deadline is None else max(0.0, min(interval, deadline - clock()))
            sleep(pause)
    finally:
        if progress:
            progress.clear()
