"""Tests for one of the caller's jobs without Flask (hpcapi/service/jobs.py): reading a job id,
finding the caller's own job, and cancelling it."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FakeSlurmrestd

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.service.context import Services
from hpcapi.service.jobs import cancel_job, find_own_job, parse_job_id, parse_task_ref, task_name
from hpcapi.slurm.errors import (
    JobFinishedError,
    JobGoneError,
    SlurmrestRejectedError,
    SlurmrestUnavailableError,
)
from hpcapi.slurm.transport import ConnectFailed
from tests.slurm_answers import (
    ALICE,
    BOB,
    NO_SUCH_JOB,
    V38,
    V44,
    accounting_job_path,
    accounting_record,
    errors_answer,
    jobs_answer,
    live_job_path,
    live_record,
    make_services,
    recorded,
    serve_v0044,
    unknown_job,
)

HELD = 29


@pytest.fixture
def svc(slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd) -> Services:
    return make_services(slurm_transport)


def not_found(call: Any) -> HpcapiError:
    with pytest.raises(HpcapiError) as caught:
        call()
    return caught.value


def deletes(fake: FakeSlurmrestd) -> list[str]:
    return [r.path_url for r in fake.requests if r.method == "DELETE"]


# --- parse_job_id -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "job_id"), [
    ("42", 42), (42, 42), (" 42 ", 42), ("007", 7), ("1", 1), ("4294967295", 4294967295),
    (4294967295, 4294967295),
])
def test_a_job_id_is_read(raw: object, job_id: int) -> None:
    assert parse_job_id(raw) == job_id


@pytest.mark.parametrize("raw", [
    "abc", "0", 0, "-1", -1, "4294967296", 2**32, "99999999999999999999", "1.5", 1.5, 42.0,
    True, False, None, [42], {"id": 42}, "", " ", "+42", "4 2", "0x2a", "٤٢", "４２", "42\x00",
])
def test_anything_else_is_no_job_of_yours(raw: object) -> None:
    error = not_found(lambda: parse_job_id(raw))
    assert error.code is ErrorCode.JOB_NOT_FOUND
    assert error.code.http_status == 404
    assert error.message.startswith("there is no job ")


def test_a_long_bad_id_is_cut_in_the_message() -> None:
    error = not_found(lambda: parse_job_id("9" * 30 + "x" * 100))
    assert error.message == f"there is no job {('9' * 30 + 'x' * 10)!r} of yours"


@pytest.mark.parametrize(("raw", "ref"), [
    ("42", (42, None)), (42, (42, None)), ("42_3", (42, 3)), ("42_0", (42, 0)), (" 42_3 ", (42, 3)),
    ("42_4000000", (42, 4000000)), ("42_007", (42, 7)),
])
def test_a_job_or_array_task_is_read(raw: object, ref: tuple[int, int | None]) -> None:
    assert parse_task_ref(raw) == ref
    assert task_name(*ref) == str(raw).strip().replace("_007", "_7")


@pytest.mark.parametrize("raw", [
    "42_", "_3", "42_-1", "42_4000001", "42_3_4", "42_x", "0_3", "42_٣", "42_+3", "42_[1-2]",
])
def test_a_bad_array_task_is_no_job_of_yours(raw: str) -> None:
    error = not_found(lambda: parse_task_ref(raw))
    assert error.code is ErrorCode.JOB_NOT_FOUND


# --- find_own_job -------------------------------------------------------------------------------


def test_the_live_record_comes_first(svc: Services, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD), jobs_answer(live_record()))
    job = find_own_job(svc, ALICE, HELD)
    assert (job.job_id, job.user, job.state, job.source) == (HELD, "alice", "PENDING", "live")
    assert fake_slurmrestd.requests_to(accounting_job_path(V38, HELD)) == []


def test_accounting_when_slurmctld_no_longer_holds_it(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 26), NO_SUCH_JOB, status=500)
    fake_slurmrestd.answer_json("GET", accounting_job_path(V38, 26),
                                jobs_answer(accounting_record(kind="completed")))
    job = find_own_job(svc, ALICE, 26)
    assert (job.job_id, job.state, job.source) == (26, "COMPLETED", "accounting")


@pytest.mark.parametrize("where", ["live", "accounting", "nowhere"])
def test_someone_elses_job_and_a_missing_one_are_the_same_404(
    svc: Services, fake_slurmrestd: FakeSlurmrestd, where: str
) -> None:
    if where == "live":
        fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD),
                                    jobs_answer(live_record(user="bob")))
    elif where == "accounting":
        fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD), NO_SUCH_JOB, status=500)
        fake_slurmrestd.answer_json("GET", accounting_job_path(V38, HELD),
                                    jobs_answer(accounting_record(kind="held", user="bob")))
    else:
        unknown_job(fake_slurmrestd, V38, HELD)
    error = not_found(lambda: find_own_job(svc, ALICE, HELD))
    assert error.code is ErrorCode.JOB_NOT_FOUND
    assert error.message == "there is no job 29 of yours"


def test_bobs_job_is_bobs(svc: Services, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD),
                                jobs_answer(live_record(user="bob")))
    assert find_own_job(svc, BOB, HELD).user == "bob"
    (sent,) = fake_slurmrestd.requests_to(live_job_path(V38, HELD))
    assert sent.headers["X-SLURM-USER-NAME"] == "bob"


def test_a_failed_look_up_is_passed_on_as_the_slurm_error(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # The web layer names it (503); the use case must not turn an outage into a 404.
    fake_slurmrestd.fail("GET", live_job_path(V38, HELD), ConnectFailed)
    with pytest.raises(SlurmrestUnavailableError):
        find_own_job(svc, ALICE, HELD)


# --- cancel_job ---------------------------------------------------------------------------------


def test_cancel_of_an_own_pending_job(svc: Services, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD), jobs_answer(live_record()))
    fake_slurmrestd.answer_json("DELETE", live_job_path(V38, HELD), {"errors": []})
    assert cancel_job(svc, ALICE, HELD) is None
    assert deletes(fake_slurmrestd) == [live_job_path(V38, HELD)]
    # Noted, so that alice's next history asks slurmctld until accounting shows it finished.
    assert svc.journal.recent("alice", 60) == (set(), {HELD})
    assert svc.journal.recent("bob", 60) == (set(), set())


@pytest.mark.parametrize("kind", ["completed", "failed", "cancelled"])
def test_cancel_of_a_finished_job_is_refused_before_slurm_is_asked(
    svc: Services, fake_slurmrestd: FakeSlurmrestd, kind: str
) -> None:
    record = live_record(kind=kind)
    fake_slurmrestd.answer_json("GET", live_job_path(V38, record["job_id"]), jobs_answer(record))
    error = not_found(lambda: cancel_job(svc, ALICE, record["job_id"]))
    assert error.code is ErrorCode.JOB_ALREADY_FINISHED
    assert error.message == f"job {record['job_id']} has already finished ({kind.upper()})"
    assert deletes(fake_slurmrestd) == []


def test_cancel_of_someone_elses_job_is_never_sent(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD),
                                jobs_answer(live_record(user="bob")))
    assert not_found(lambda: cancel_job(svc, ALICE, HELD)).code is ErrorCode.JOB_NOT_FOUND
    assert deletes(fake_slurmrestd) == []


@pytest.mark.parametrize(("number", "code", "cause"), [
    (2021, ErrorCode.JOB_ALREADY_FINISHED, JobFinishedError),
    (2017, ErrorCode.JOB_NOT_FOUND, JobGoneError),
    (2002, ErrorCode.JOB_NOT_FOUND, JobGoneError),
])
def test_cancel_refused_by_slurm_22_05_keeps_its_cause(
    svc: Services, fake_slurmrestd: FakeSlurmrestd, number: int, code: ErrorCode,
    cause: type[Exception],
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD), jobs_answer(live_record()))
    fake_slurmrestd.answer_json("DELETE", live_job_path(V38, HELD),
                                errors_answer(number, "refused"), status=500)
    error = not_found(lambda: cancel_job(svc, ALICE, HELD))
    assert error.code is code
    assert type(error.__cause__) is cause
    assert svc.journal.recent("alice", 60) == (set(), set())  # nothing was cancelled here


def test_another_cancel_refusal_is_passed_on(svc: Services,
                                             fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD), jobs_answer(live_record()))
    fake_slurmrestd.answer_json("DELETE", live_job_path(V38, HELD),
                                errors_answer(2000, "something else"), status=500)
    with pytest.raises(SlurmrestRejectedError) as caught:
        cancel_job(svc, ALICE, HELD)
    assert not isinstance(caught.value, JobGoneError | JobFinishedError)


@pytest.fixture
def svc44(slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd) -> Services:
    serve_v0044(fake_slurmrestd)
    return make_services(slurm_transport)


HELD44 = 5000561


@pytest.mark.parametrize(("code", "expected", "cause"), [
    (2021, ErrorCode.JOB_ALREADY_FINISHED, JobFinishedError),
    (2017, ErrorCode.JOB_NOT_FOUND, JobGoneError),
    (2002, ErrorCode.JOB_NOT_FOUND, JobGoneError),
])
def test_cancel_refused_by_slurm_25_11_in_status(
    svc44: Services, fake_slurmrestd: FakeSlurmrestd, code: int, expected: ErrorCode,
    cause: type[Exception],
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V44, HELD44),
                                jobs_answer(live_record(V44, kind="held")))
    answer = recorded(V44, "errors")["cancel_finished"]["body"]
    answer["status"][0]["error"]["code"] = code
    fake_slurmrestd.answer_json("DELETE", live_job_path(V44, HELD44), answer)
    error = not_found(lambda: cancel_job(svc44, ALICE, HELD44))
    assert error.code is expected
    assert type(error.__cause__) is cause
    assert error.__cause__.slurm_errors == [{"error_number": code}]
