"""Tests for the caller's recent jobs without Flask (hpcapi/service/history.py): accounting,
with slurmctld's record of the jobs this host wrote lately (the journal says which)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import FakeSlurmrestd, make_server_config

from hpcapi.service.context import Services
from hpcapi.service.history import (
    ACCOUNTING_MARGIN_SECONDS,
    READ_YOUR_WRITES_SECONDS,
    recent_history,
    recent_jobs,
)
from hpcapi.service.journal import Journal
from hpcapi.slurm.errors import SlurmrestRejectedError, SlurmrestTimeoutError
from hpcapi.slurm.transport import ReadTimedOut
from tests.slurm_answers import (
    ALICE,
    NO_SUCH_JOB,
    V38,
    V44,
    accounting_record,
    errors_answer,
    jobs_answer,
    live_job_path,
    live_record,
    make_services,
    paths,
    serve_v0044,
)

P = paths(V38)
NOW = 1_800_000_000


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hpcapi.service.history.time.time", lambda: float(NOW))


@pytest.fixture
def svc(slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd,
        clock: None) -> Services:
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    return make_services(slurm_transport)


def look_ups(fake: FakeSlurmrestd, version: str = V38) -> list[str]:
    return [r.path_url or "" for r in fake.requests
            if (r.path_url or "").startswith(f"/slurm/{version}/job/")]


def test_no_jobs(svc: Services) -> None:
    assert recent_jobs(svc, ALICE, 24) == {}


def test_accounting_by_job_id(svc: Services, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=2, kind="held"), accounting_record(job_id=1, kind="held"),
        accounting_record(job_id=3, kind="held", user="bob")))
    jobs = recent_jobs(svc, ALICE, 24)
    assert sorted(jobs) == [1, 2]
    assert all(job_id == job.job_id and job.source == "accounting"
               for job_id, job in jobs.items())
    assert look_ups(fake_slurmrestd) == []


def test_a_job_submitted_here_and_not_yet_in_accounting_is_asked_of_slurmctld(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    svc.journal.submitted("alice", 42)
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 42), jobs_answer(
        live_record(job_id=42, submit_time=NOW - 60)))
    jobs = recent_jobs(svc, ALICE, 24)
    assert list(jobs) == [42]
    assert jobs[42].source == "live"


def test_a_job_submitted_here_that_accounting_has_is_not_asked_again(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    svc.journal.submitted("alice", 42)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=42, kind="held")))
    assert recent_jobs(svc, ALICE, 24)[42].source == "accounting"
    assert look_ups(fake_slurmrestd) == []


@pytest.mark.parametrize(("accounting_state", "asked"), [
    (None, True), ("PENDING", True), ("RUNNING", True), ("CANCELLED", False)])
def test_a_job_cancelled_here_is_asked_until_accounting_shows_it_finished(
    svc: Services, fake_slurmrestd: FakeSlurmrestd, accounting_state: str | None, asked: bool
) -> None:
    svc.journal.cancelled("alice", 29)
    if accounting_state is not None:
        fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
            accounting_record(kind="held", state=accounting_state)))
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 29), jobs_answer(
        live_record(kind="held", state="CANCELLED", submit_time=NOW - 60)))
    jobs = recent_jobs(svc, ALICE, 24)
    assert jobs[29].state == "CANCELLED"
    assert jobs[29].source == ("live" if asked else "accounting")
    assert look_ups(fake_slurmrestd) == ([live_job_path(V38, 29)] if asked else [])


def test_slurmctld_not_holding_a_written_job_leaves_accounting_as_it_is(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    svc.journal.submitted("alice", 42)
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 42), NO_SUCH_JOB, status=500)
    assert recent_jobs(svc, ALICE, 24) == {}


def test_a_written_job_is_cut_to_the_window_and_to_its_owner(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    for job_id in (1, 2, 3):
        svc.journal.submitted("alice", job_id)
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 1), jobs_answer(
        live_record(job_id=1, submit_time=NOW - 3 * 3600 - 1)))
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 2), jobs_answer(
        live_record(job_id=2, submit_time=NOW - 3 * 3600)))
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 3), jobs_answer(
        live_record(job_id=3, submit_time=NOW, user="bob")))
    assert list(recent_jobs(svc, ALICE, 3)) == [2]


def test_another_users_writes_are_not_asked_for(svc: Services,
                                                fake_slurmrestd: FakeSlurmrestd) -> None:
    svc.journal.submitted("bob", 42)
    assert recent_jobs(svc, ALICE, 24) == {}
    assert look_ups(fake_slurmrestd) == []


def test_only_recent_writes_are_asked_for(
    svc: Services, fake_slurmrestd: FakeSlurmrestd, tmp_path: Path
) -> None:
    now = [1_000.0]
    journal = Journal(str(tmp_path), keep_seconds=3600, now=lambda: now[0])
    svc = dataclasses.replace(svc, journal=journal)
    journal.submitted("alice", 42)
    now[0] += READ_YOUR_WRITES_SECONDS + 1  # long enough for accounting to have caught up
    assert recent_jobs(svc, ALICE, 24) == {}
    assert look_ups(fake_slurmrestd) == []


def test_the_window_is_asked_of_slurmdbd(svc: Services, fake_slurmrestd: FakeSlurmrestd) -> None:
    recent_jobs(svc, ALICE, 5)
    (sent,) = fake_slurmrestd.requests_to(P["accounting_jobs"])
    assert parse_qs(urlsplit(sent.url or "").query)["submit_time"] == ["now-18000seconds"]


def test_the_window_on_v0_0_44_is_an_epoch(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, clock: None
) -> None:
    serve_v0044(fake_slurmrestd)
    p = paths(V44)
    fake_slurmrestd.answer_json("GET", p["accounting_jobs"], jobs_answer(
        accounting_record(V44, job_id=7, end_time=NOW - 60)))
    jobs = recent_jobs(make_services(slurm_transport), ALICE, 5)
    assert list(jobs) == [7]
    (sent,) = fake_slurmrestd.requests_to(p["accounting_jobs"])
    query = parse_qs(urlsplit(sent.url or "").query)
    assert query["start_time"] == [str(NOW - 5 * 3600)]
    assert query["users"] == ["alice"]


def test_repeated_polls_share_an_answer_until_a_write(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, clock: None
) -> None:
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    svc = make_services(slurm_transport, make_server_config(history_max_staleness=60.0))
    recent_jobs(svc, ALICE, 24)
    recent_jobs(svc, ALICE, 24)
    assert len(fake_slurmrestd.requests_to(P["accounting_jobs"])) == 1
    recent_jobs(svc, ALICE, 5)  # another window is another answer
    assert len(fake_slurmrestd.requests_to(P["accounting_jobs"])) == 2
    svc.journal.submitted("alice", 42)  # a write through this host: the next answer is new
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 42), NO_SUCH_JOB, status=500)
    recent_jobs(svc, ALICE, 24)
    assert len(fake_slurmrestd.requests_to(P["accounting_jobs"])) == 3


def test_slurm_failures_are_passed_on(svc: Services, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"],
                                {"jobs": [], **errors_answer(9000, "bad query")})
    with pytest.raises(SlurmrestRejectedError, match="bad query"):
        recent_jobs(svc, ALICE, 24)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    svc.journal.submitted("alice", 42)
    fake_slurmrestd.fail("GET", live_job_path(V38, 42), ReadTimedOut)
    with pytest.raises(SlurmrestTimeoutError):
        recent_jobs(svc, ALICE, 24)


def test_22_05_a_job_slurmctld_forgot_is_asked_of_it_once(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    cancelled = accounting_record(job_id=28, kind="cancelled")
    cancelled["time"]["end"] = NOW - 30
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(cancelled))
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 28), NO_SUCH_JOB, status=500)
    for _ in range(3):
        assert recent_jobs(svc, ALICE, 24)[28].exit_code is None
    assert len(fake_slurmrestd.requests_to(live_job_path(V38, 28))) == 1


def test_22_05_one_history_asks_slurmctld_for_at_most_twenty_exit_codes(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    records = []
    for job_id in range(100, 150):
        record = accounting_record(job_id=job_id, kind="failed")
        record["time"]["end"] = NOW - 30
        records.append(record)
        fake_slurmrestd.answer_json("GET", live_job_path(V38, job_id), jobs_answer(
            live_record(job_id=job_id, kind="failed")))
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(*records))

    def asked() -> int:
        return sum(len(fake_slurmrestd.requests_to(live_job_path(V38, i)))
                   for i in range(100, 150))

    jobs = recent_jobs(svc, ALICE, 24)
    assert asked() == 20
    assert sum(job.exit_code == 3 for job in jobs.values()) == 20
    recent_jobs(svc, ALICE, 24)
    recent_jobs(svc, ALICE, 24)
    assert asked() == 50  # the rest on the next polls, each once
    assert all(job.exit_code == 3 for job in recent_jobs(svc, ALICE, 24).values())
    assert asked() == 50


# --- repeated polls ask only what may have changed ----------------------------------------------


class Clock:
    """This host's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def moving_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("hpcapi.service.history.time.time", clock)
    monkeypatch.setattr("hpcapi.service.answers.time.time", clock)
    return clock


def polling_services(transport: FakeSlurmrestd, **changes: object) -> Services:
    config = make_server_config(**{"history_full_refresh": 600.0, **changes})
    return make_services(transport, config)


def windows_asked(fake: FakeSlurmrestd) -> list[str]:
    return [parse_qs(urlsplit(r.url or "").query)["submit_time"][0]
            for r in fake.requests_to(P["accounting_jobs"])]


def ended(job_id: int, end: float, kind: str = "completed") -> dict[str, object]:
    record = accounting_record(job_id=job_id, kind=kind)
    record["time"]["end"] = int(end)
    return record


def test_a_repeated_poll_asks_only_for_what_may_have_changed_since_the_last(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, moving_clock: Clock
) -> None:
    svc = polling_services(slurm_transport)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        ended(1, NOW - 3000), accounting_record(job_id=2, kind="held")))
    assert sorted(recent_jobs(svc, ALICE, 24)) == [1, 2]
    moving_clock.now += 10
    # Accounting lists the jobs not ended 10 s (plus the margin) ago: job 1, long finished,
    # is not among them and is kept from the last answer; job 2 has ended, job 3 is new.
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        ended(2, NOW + 5, kind="cancelled"), accounting_record(job_id=3, kind="held")))
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 2), NO_SUCH_JOB, status=500)
    jobs = recent_jobs(svc, ALICE, 24)
    assert sorted(jobs) == [1, 2, 3]
    assert jobs[2].state == "CANCELLED"
    assert windows_asked(fake_slurmrestd) == ["now-86400seconds",
                                              f"now-{10 + 1 + ACCOUNTING_MARGIN_SECONDS}seconds"]


def test_a_job_held_unfinished_that_accounting_no_longer_lists_means_the_whole_period_again(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, moving_clock: Clock
) -> None:
    svc = polling_services(slurm_transport)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=2, kind="held")))
    recent_jobs(svc, ALICE, 24)
    moving_clock.now += 10
    # Job 2 ended before the margin (accounting learnt of it late): only the whole period says
    # what it became, and what else accounting learnt late.
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        ended(2, NOW - 3000, kind="cancelled"), ended(4, NOW - 2000)),
        query={"submit_time": "now-86400seconds"})
    jobs = recent_jobs(svc, ALICE, 24)
    assert sorted(jobs) == [2, 4]
    assert jobs[2].state == "CANCELLED"
    assert windows_asked(fake_slurmrestd) == ["now-86400seconds", "now-71seconds",
                                              "now-86400seconds"]


def test_the_whole_period_is_asked_again_every_full_refresh(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, moving_clock: Clock
) -> None:
    svc = polling_services(slurm_transport, history_full_refresh=100.0)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(ended(1, NOW - 3000)))
    for _ in range(4):
        recent_jobs(svc, ALICE, 24)
        moving_clock.now += 40
    assert windows_asked(fake_slurmrestd) == ["now-86400seconds", "now-101seconds",
                                              "now-101seconds", "now-86400seconds"]


def test_a_job_that_ended_before_the_period_leaves_the_answer(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, moving_clock: Clock
) -> None:
    svc = polling_services(slurm_transport)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        ended(1, NOW - 3600 + 5), ended(2, NOW - 60)))
    assert sorted(recent_jobs(svc, ALICE, 1)) == [1, 2]
    moving_clock.now += 10
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    assert sorted(recent_jobs(svc, ALICE, 1)) == [2]


def test_a_user_whose_period_is_larger_than_the_cap_is_asked_in_full_each_time(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, moving_clock: Clock
) -> None:
    svc = polling_services(slurm_transport, history_cache_jobs=2)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        ended(1, NOW - 300), ended(2, NOW - 200), ended(3, NOW - 100)))
    for _ in range(2):
        assert sorted(recent_jobs(svc, ALICE, 24)) == [1, 2, 3]
        moving_clock.now += 10
    assert windows_asked(fake_slurmrestd) == ["now-86400seconds"] * 2
    assert svc.histories.items == 0


def test_a_write_here_makes_the_next_answer_new_but_still_only_what_changed(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, moving_clock: Clock
) -> None:
    svc = polling_services(slurm_transport, history_max_staleness=60.0)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(ended(1, NOW - 3000)))
    recent_jobs(svc, ALICE, 24)
    moving_clock.now += 1
    recent_jobs(svc, ALICE, 24)  # within max_staleness: the kept answer as it is
    assert len(windows_asked(fake_slurmrestd)) == 1
    moving_clock.now += 1
    svc.journal.submitted("alice", 42)
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 42), jobs_answer(
        live_record(job_id=42, kind="held", submit_time=int(moving_clock.now))))
    jobs = recent_jobs(svc, ALICE, 24)
    assert sorted(jobs) == [1, 42]  # read-your-writes: slurmctld's record of 42
    assert jobs[42].source == "live"
    assert windows_asked(fake_slurmrestd) == ["now-86400seconds", "now-63seconds"]


def test_an_answer_made_from_another_renders_only_the_jobs_that_changed(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, moving_clock: Clock
) -> None:
    svc = polling_services(slurm_transport)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        ended(1, NOW - 3000), accounting_record(job_id=2, kind="held"),
        accounting_record(job_id=3, kind="held")))
    rendered: list[int] = []

    def entry(job: object) -> bytes:
        rendered.append(job.job_id)  # type: ignore[attr-defined]
        return str(job.job_id).encode()  # type: ignore[attr-defined]

    def frame(entries: list[bytes]) -> bytes:
        return b",".join(entries)

    assert recent_history(svc, ALICE, 24).rendered(entry, frame) == b"1,2,3"
    moving_clock.now += 10
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=2, kind="held"), ended(3, NOW + 5, kind="cancelled")))
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 3), NO_SUCH_JOB, status=500)
    history = recent_history(svc, ALICE, 24)
    assert history.rendered(entry, frame) == b"1,2,3"
    assert history.rendered(entry, frame) == b"1,2,3"  # once per answer
    assert rendered == [1, 2, 3, 3]  # 1 kept, 2 unchanged: only 3, which ended


def test_a_job_written_here_that_neither_accounting_nor_slurmctld_knows_is_asked_once(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # Say slurmctld forgot it (MinJobAge) while slurmdbd was away: each poll asking again
    # would cost one call per such job, hundreds after a busy outage.
    svc.journal.submitted("alice", 42)
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 42), NO_SUCH_JOB, status=500)
    for _ in range(3):
        assert recent_jobs(svc, ALICE, 24) == {}
    assert look_ups(fake_slurmrestd) == ["/slurm/v0.0.38/job/42"]
    # Once accounting has it, it is there.
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=42, kind="held")))
    assert list(recent_jobs(svc, ALICE, 24)) == [42]


# --- running jobs: their end is the expected one ------------------------------------------------


def running(job_id: int, start: float, limit_minutes: int = 5) -> dict[str, object]:
    """An accounting record of a running job: slurmdbd records end 0 until it ends."""
    record = accounting_record(job_id=job_id, state="RUNNING", end_time=0)
    record["time"].update(start=int(start), limit=limit_minutes)
    return record


def test_a_running_job_in_accounting_shows_its_expected_end(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(running(2, NOW - 60)))
    job = recent_jobs(svc, ALICE, 24)[2]
    assert (job.state, job.start_time, job.end_time) == ("RUNNING", NOW - 60, NOW - 60 + 300)


def test_a_running_job_that_accounting_no_longer_lists_means_the_whole_period_again(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, moving_clock: Clock
) -> None:
    # Its expected end is no end: the job is unfinished, and missing from what changed.
    svc = polling_services(slurm_transport)
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(running(2, NOW - 60)))
    assert recent_jobs(svc, ALICE, 24)[2].end_time is not None
    moving_clock.now += 10
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        ended(2, NOW - 30, kind="cancelled")), query={"submit_time": "now-86400seconds"})
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 2), NO_SUCH_JOB, status=500)
    jobs = recent_jobs(svc, ALICE, 24)
    assert jobs[2].state == "CANCELLED"
    assert windows_asked(fake_slurmrestd) == ["now-86400seconds", "now-71seconds",
                                              "now-86400seconds"]


def test_a_running_job_past_its_expected_end_stays_in_the_period(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # Started two hours ago with a 5-minute limit and still running (OverTimeLimit, a slow
    # kill): its expected end is before a 1-hour period, and it has not ended.
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(running(2, NOW - 7200)))
    assert list(recent_jobs(svc, ALICE, 1)) == [2]
