"""Wait for jobs to finish: poll with backoff, show a progress line on a terminal only.

The backoff never lets a job's end go unnoticed for more than ``WaitPolicy.notice_within``
seconds (5 by default), whatever the job's run time. In the worst case a job ends just after the
server read its state as one of its requests arrived; its end is seen when the answer to its
next request arrives, so the rest of that round of polling, the pause and that next request all
pass in between: at most the round's time plus the pause plus the longest request. The pause is
capped at the budget less those two, as measured in the last round. The cap holds while rounds
stay as fast as the last one, and cannot when a round alone takes the whole budget (very many
jobs, or a slow server): then the pause is ``min_pause``.
"""

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
    """How often to poll: start quick, slow down while nothing changes, never past the budget."""

    initial: float = 1.0
    factor: float = 1.5
    # A job that ends is seen within this many seconds of its end (the module docstring says how).
    notice_within: float = 5.0
    # The least pause between rounds, so that a slow server is not polled without rest.
    min_pause: float = 0.2
    timeout: float | None = None
    # Outages of the server are ridden out for this many polls in a row.
    max_unreachable: int = 5


class WaitTimeoutError(Exception):
    """The jobs were not all finished when the timeout came; ``jobs`` has their last state."""

    def __init__(self, jobs: dict[str, dict[str, Any]]) -> None:
        super().__init__("timed out waiting for jobs")
        self.jobs = jobs


def next_pause(
    policy: WaitPolicy, backoff: float, round_seconds: float, longest_request: float
) -> float:
    """The pause before the next round: the backoff, capped so that an end is seen in time."""
    budget = policy.notice_within - round_seconds - longest_request
    return max(policy.min_pause, min(backoff, budget))


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
            round_started = clock()
            longest = 0.0
            try:
                for job_id in ids:
                    if is_finished(jobs[job_id]):
                        continue
                    sent = clock()
                    record = client.job(job_id)
                    longest = max(longest, clock() - sent)
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
            grown = min(policy.notice_within, interval * policy.factor)
            interval = policy.initial if changed else grown
            pause = next_pause(policy, interval, clock() - round_started, longest)
            if deadline is not None:
                pause = max(0.0, min(pause, deadline - clock()))
            sleep(pause)
    finally:
        if progress:
            progress.clear()
