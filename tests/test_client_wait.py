"""Tests for hpcapi.client.wait: polling with backoff, timeouts, the progress line."""

from __future__ import annotations

import io
from typing import Any

import pytest

from hpcapi.client.errors import UnreachableError
from hpcapi.client.wait import (
    ProgressLine,
    WaitPolicy,
    WaitTimeoutError,
    next_pause,
    succeeded,
    wait_for_jobs,
)


class Jobs:
    """A job source that walks each job through a list of states."""

    def __init__(self, states: dict[str, list[Any]]) -> None:
        self.states = states

    def job(self, job_id: str) -> dict[str, Any]:
        queue = self.states[job_id]
        state = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(state, Exception):
            raise state
        return {"job_id": job_id, "state": state, "exit_code": 0}


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_polls_with_backoff_until_all_finished() -> None:
    sleeps: list[float] = []
    source = Jobs({"1": ["PENDING", "PENDING", "PENDING", "RUNNING", "COMPLETED"],
                   "2": ["COMPLETED"]})
    jobs = wait_for_jobs(source, ["1", "2", "1"],
                         WaitPolicy(initial=1, factor=2, notice_within=3),
                         sleep=sleeps.append, clock=lambda: 0.0)
    assert {j["state"] for j in jobs.values()} == {"COMPLETED"}
    assert sleeps == [1, 2, 3, 1]  # slower while nothing moves, quick again after a change


class Clock:
    """A fake clock that only sleeping and requests move."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class EndingJobs:
    """Jobs that run until their end time; each request takes ``request_seconds`` of the clock,
    and the server reads the state as the request arrives (the worst case for the waiter)."""

    def __init__(self, clock: Clock, ends: dict[str, float], request_seconds: float) -> None:
        self.clock = clock
        self.ends = ends
        self.request_seconds = request_seconds
        self.noticed: dict[str, float] = {}

    def job(self, job_id: str) -> dict[str, Any]:
        finished = self.clock.now >= self.ends[job_id]
        self.clock.now += self.request_seconds
        if finished and job_id not in self.noticed:
            self.noticed[job_id] = self.clock.now  # when the answer reaches the waiter
        return {"job_id": job_id, "state": "COMPLETED" if finished else "RUNNING",
                "exit_code": 0}


@pytest.mark.parametrize(
    ("count", "request_seconds"),
    # Up to rounds of 3 s; a round that takes the whole budget cannot meet it (next_pause).
    [(1, 0.0), (1, 0.05), (1, 0.4), (1, 1.5), (3, 0.05), (3, 1.0), (20, 0.05), (20, 0.15)],
)
def test_an_end_is_noticed_within_5_seconds_however_long_the_job_ran(
    count: int, request_seconds: float
) -> None:
    # Ends spread over 10 minutes, 17 s (the reported case: seen at 26 s) among them.
    for end in [17.0, *(step * 3.7 for step in range(1, 163))]:
        clock = Clock()
        ends = {str(index): end + index * 0.9 for index in range(count)}
        source = EndingJobs(clock, ends, request_seconds)
        wait_for_jobs(source, list(ends), sleep=clock.sleep, clock=clock)
        for job_id, ended in ends.items():
            assert source.noticed[job_id] - ended <= 5.0, (end, job_id, clock.sleeps)


def test_the_backoff_still_slows_down_while_nothing_changes() -> None:
    clock = Clock()
    source = EndingJobs(clock, {"1": 120.0}, request_seconds=0.5)
    wait_for_jobs(source, ["1"], sleep=clock.sleep, clock=clock)
    policy = WaitPolicy()
    assert clock.sleeps[0] == policy.initial
    assert clock.sleeps == sorted(clock.sleeps)  # the state never changed before the end
    # The longest pause is the budget less a round and a request, not the first pause again.
    assert clock.sleeps[-1] == pytest.approx(policy.notice_within - 2 * 0.5)
    assert len(clock.sleeps) < 120 / 3


@pytest.mark.parametrize(
    ("backoff", "round_seconds", "longest", "pause"),
    [(1.0, 0.1, 0.1, 1.0), (4.0, 0.0, 0.0, 4.0), (8.0, 0.0, 0.0, 5.0), (8.0, 1.0, 1.0, 3.0),
     (8.0, 3.0, 0.5, 1.5), (8.0, 3.0, 3.0, 0.2)],
)
def test_next_pause(backoff: float, round_seconds: float, longest: float, pause: float) -> None:
    assert next_pause(WaitPolicy(), backoff, round_seconds, longest) == pytest.approx(pause)


def test_timeout_keeps_the_last_states() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(WaitTimeoutError) as caught:
        wait_for_jobs(Jobs({"1": ["RUNNING"]}), ["1"], WaitPolicy(timeout=10), sleep=sleep,
                      clock=lambda: now[0])
    assert caught.value.jobs["1"]["state"] == "RUNNING"
    assert now[0] == 10


def test_rides_out_a_short_outage_only() -> None:
    outage = UnreachableError("down")
    jobs = wait_for_jobs(Jobs({"1": [outage, outage, "COMPLETED"]}), ["1"],
                         sleep=lambda _: None)
    assert jobs["1"]["state"] == "COMPLETED"
    with pytest.raises(UnreachableError):
        wait_for_jobs(Jobs({"1": [outage]}), ["1"], WaitPolicy(max_unreachable=2),
                      sleep=lambda _: None)


def test_progress_only_on_a_terminal() -> None:
    plain, tty = io.StringIO(), TTY()
    for stream in (plain, tty):
        wait_for_jobs(Jobs({"1": ["RUNNING", "COMPLETED"]}), ["1"],
                      progress=ProgressLine(stream), sleep=lambda _: None)
    assert plain.getvalue() == ""
    assert "0/1 finished: 1 RUNNING" in tty.getvalue()
    assert tty.getvalue().endswith("\r")  # the line is cleared at the end


@pytest.mark.parametrize(
    ("job", "ok"),
    [
        ({"state": "COMPLETED", "exit_code": 0}, True),
        ({"state": "COMPLETED", "exit_code": 1}, False),
        ({"state": "FAILED", "exit_code": 1}, False),
        ({"state": "CANCELLED by 0"}, False),
    ],
)
def test_succeeded(job: dict[str, Any], ok: bool) -> None:
    assert succeeded(job) is ok
