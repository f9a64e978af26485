"""Tests for hpcapi.client.wait: polling with backoff, timeouts, the progress line."""

from __future__ import annotations

import io
from typing import Any

import pytest

from hpcapi.client.errors import UnreachableError
from hpcapi.client.wait import ProgressLine, WaitPolicy, WaitTimeoutError, succeeded, wait_for_jobs


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
    jobs = wait_for_jobs(source, ["1", "2", "1"], WaitPolicy(initial=1, factor=2, maximum=3),
                         sleep=sleeps.append)
    assert {j["state"] for j in jobs.values()} == {"COMPLETED"}
    assert sleeps == [1, 2, 3, 1]  # slower while nothing moves, quick again after a change


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
