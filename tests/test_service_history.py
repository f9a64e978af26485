"""Tests for the caller's recent jobs without Flask (hpcapi/service/history.py): accounting,
with slurmctld's record of the jobs this host wrote lately (the journal says which)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import FakeSlurmrestd, make_server_config

from hpcapi.service.context import Services
from hpcapi.service.history import READ_YOUR_WRITES_SECONDS, recent_jobs
from hpcapi.service.journal import Journal
from hpcapi.slurm.errors import SlurmrestRejectedError, SlurmrestTimeoutError
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
def svc(slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd,
        clock: None) -> Services:
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    return make_services(slurm_session)


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
    assert parse_qs(urlsplit(sent.url or "").query)["submit_time"] == ["now-5hours"]


def test_the_window_on_v0_0_44_is_an_epoch(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd, clock: None
) -> None:
    serve_v0044(fake_slurmrestd)
    p = paths(V44)
    fake_slurmrestd.answer_json("GET", p["accounting_jobs"], jobs_answer(
        accounting_record(V44, job_id=7)))
    jobs = recent_jobs(make_services(slurm_session), ALICE, 5)
    assert list(jobs) == [7]
    (sent,) = fake_slurmrestd.requests_to(p["accounting_jobs"])
    query = parse_qs(urlsplit(sent.url or "").query)
    assert query["start_time"] == [str(NOW - 5 * 3600)]
    assert query["users"] == ["alice"]


def test_repeated_polls_share_an_answer_until_a_write(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd, clock: None
) -> None:
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    svc = make_services(slurm_session, make_server_config(history_max_staleness=60.0))
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
    fake_slurmrestd.fail("GET", live_job_path(V38, 42), requests.exceptions.ReadTimeout)
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
