"""Tests for the submission use case without Flask (hpcapi/service/submit.py).

``Services`` is built as a worker builds it (``build_services``) over the fake slurmrestd; the
functions are called directly as alice, and their outcomes and HpcapiError codes checked.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from typing import Any

import pytest
from conftest import FakeSlurmrestd, make_server_config

from hpcapi.core.submit import parse_submit_request
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import Identity, JobDescription
from hpcapi.service import submit as submit_module
from hpcapi.service.context import Services
from hpcapi.service.submit import (
    Submitted,
    check_dependencies,
    check_idempotency_key,
    check_memory_fits,
    request_digest,
    submit_job,
)
from hpcapi.slurm.errors import (
    SlurmrestRejectedError,
    SlurmrestTimeoutError,
    SlurmrestUnavailableError,
)
from hpcapi.slurm.transport import ConnectFailed, ReadTimedOut, TransportError
from tests.slurm_answers import (
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
    nodes_answer,
    paths,
    serve_v0044,
)
from tests.web_helpers import sent_json

ALICE = Identity("alice@HPCAPI.TEST", "alice", 1001, 1001, "/home/alice", "/bin/bash")
SCRIPT = "#!/bin/bash\necho hello\n"
BODY: dict[str, Any] = {"partition": "norm", "script-body": SCRIPT}
P = paths(V38)
NOW = 1_800_000_000.75


def serve_lists(fake: FakeSlurmrestd, version: str, job_id: int = 42) -> None:
    p = paths(version)
    fake.answer_json("GET", p["live_jobs"], jobs_answer())
    fake.answer_json("GET", p["accounting_jobs"], jobs_answer())
    fake.answer_json("GET", p["nodes"], nodes_answer(("small", 4000, ["norm", "quick"])))
    fake.answer_json("POST", p["submit"], {"job_id": job_id, "errors": []})


@pytest.fixture
def svc(slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd) -> Services:
    """Services over a v0.0.38 slurmrestd holding no job of alice's; a submission gets job 42."""
    serve_lists(fake_slurmrestd, V38)
    return make_services(slurm_transport)


@pytest.fixture
def svc_hosts(slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd) -> Services:
    """The same as ``svc``, but one of several hpcapi hosts (``[state] several_hosts``): a key
    this host's journal does not know may have been used on another, so Slurm is searched."""
    serve_lists(fake_slurmrestd, V38)
    return make_services(slurm_transport, make_server_config(several_hosts=True))


@pytest.fixture
def svc44(slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd) -> Services:
    """The same over a v0.0.44 slurmrestd (Slurm 25.11)."""
    serve_v0044(fake_slurmrestd)
    serve_lists(fake_slurmrestd, V44, job_id=5000600)
    return make_services(slurm_transport)


def posted(fake: FakeSlurmrestd, version: str = V38) -> list[Any]:
    return [sent_json(r) for r in fake.requests_to(paths(version)["submit"])]


def refused(call: Any) -> HpcapiError:
    with pytest.raises(HpcapiError) as caught:
        call()
    return caught.value


# --- submit_job ---------------------------------------------------------------------------------


def test_a_submission_gives_the_job_id(svc: Services, fake_slurmrestd: FakeSlurmrestd) -> None:
    assert submit_job(svc, ALICE, BODY) == Submitted(42, 0)
    (body,) = posted(fake_slurmrestd)
    assert body["script"] == SCRIPT and body["job"]["partition"] == "norm"
    (sent,) = fake_slurmrestd.requests_to(P["submit"])
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"


def test_the_removed_sbatch_lines_are_counted(svc: Services) -> None:
    body = {**BODY, "script-body": "#!/bin/bash\n#SBATCH -n 4\n#SBATCH --mem=1G\ntrue\n"}
    assert submit_job(svc, ALICE, body).sbatch_lines_removed == 2


def test_a_dry_run_gives_the_body_and_creates_nothing(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    done = submit_job(svc, ALICE, BODY, dry_run=True)
    assert (done.job_id, done.replay, done.sbatch_lines_removed) == (None, False, 0)
    assert done.dry_run_body is not None
    assert done.dry_run_body["script"] == SCRIPT
    assert done.dry_run_body["job"]["environment"]["USER"] == "alice"
    assert posted(fake_slurmrestd) == []


def test_a_dry_run_with_a_key_shows_the_comment(svc: Services) -> None:
    done = submit_job(svc, ALICE, BODY, key="k-1", dry_run=True)
    assert done.dry_run_body is not None
    assert done.dry_run_body["job"]["comment"] == f"hpcapi-idempotency:k-1:{request_digest(BODY)}"


def test_a_key_goes_into_the_jobs_comment(svc: Services,
                                          fake_slurmrestd: FakeSlurmrestd) -> None:
    assert submit_job(svc, ALICE, BODY, key="k-1") == Submitted(42, 0)
    (body,) = posted(fake_slurmrestd)
    assert body["job"]["comment"] == f"hpcapi-idempotency:k-1:{request_digest(BODY)}"


def test_a_retry_to_another_host_is_a_replay_found_in_accounting(
    svc_hosts: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    comment = f"hpcapi-idempotency:k-1:{request_digest(BODY)}"
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"],
                                jobs_answer(accounting_record(job_id=40, comment=comment)))
    assert submit_job(svc_hosts, ALICE, BODY, key="k-1") == Submitted(40, 0, replay=True)
    assert posted(fake_slurmrestd) == []
    # slurmctld's list (read too, with several hosts) holds no job: accounting's record it was.
    assert len(fake_slurmrestd.requests_to(P["accounting_jobs"])) == 1
    assert len(fake_slurmrestd.requests_to(P["live_jobs"])) == 1


def test_a_retry_to_this_host_is_a_replay_without_asking_slurm(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("POST", P["submit"], {"job_id": 41, "errors": []})
    assert submit_job(svc, ALICE, BODY, key="k-2") == Submitted(41, 0)
    asked = len(fake_slurmrestd.requests)
    assert submit_job(svc, ALICE, BODY, key="k-2") == Submitted(41, 0, replay=True)
    assert len(fake_slurmrestd.requests) == asked
    error = refused(lambda: submit_job(svc, ALICE, {**BODY, "ntasks": 3}, key="k-2"))
    assert error.code is ErrorCode.IDEMPOTENCY_KEY_REUSED


def test_a_retry_after_an_unknown_outcome_looks_in_slurmctld_too(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # The first attempt's submission broke off: Slurm may have made the job, which accounting
    # may not show yet; slurmctld's full list is read for this key, this once.
    fake_slurmrestd.fail("POST", P["submit"], ReadTimedOut)
    assert refused(lambda: submit_job(svc, ALICE, BODY, key="k-3")).code \
        is ErrorCode.BACKEND_TIMEOUT
    comment = f"hpcapi-idempotency:k-3:{request_digest(BODY)}"
    fake_slurmrestd.answer_json("GET", P["live_jobs"],
                                jobs_answer(live_record(job_id=42, comment=comment)))
    assert submit_job(svc, ALICE, BODY, key="k-3") == Submitted(42, 0, replay=True)
    assert len(fake_slurmrestd.requests_to(P["submit"])) == 1
    # Found: the journal has it now, and Slurm is not asked again.
    assert submit_job(svc, ALICE, BODY, key="k-3") == Submitted(42, 0, replay=True)
    assert len(fake_slurmrestd.requests_to(P["live_jobs"])) == 1


def test_a_retry_after_an_unknown_outcome_that_made_no_job_submits(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.fail("POST", P["submit"], ConnectFailed)
    refused(lambda: submit_job(svc, ALICE, BODY, key="k-4"))
    fake_slurmrestd.answer_json("POST", P["submit"], {"job_id": 43, "errors": []})
    assert submit_job(svc, ALICE, BODY, key="k-4") == Submitted(43, 0)
    assert len(fake_slurmrestd.requests_to(P["live_jobs"])) == 1


def test_a_refused_submission_frees_its_key(svc: Services, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("POST", P["submit"], errors_answer(2000, "Invalid partition"),
                                status=500)
    assert refused(lambda: submit_job(svc, ALICE, BODY, key="k-5")).code \
        is ErrorCode.BACKEND_QUERY_JOB_SUBMISSION_FAILED
    assert svc.journal.keyed_submission("alice", "k-5") is None
    fake_slurmrestd.answer_json("POST", P["submit"], {"job_id": 44, "errors": []})
    assert submit_job(svc, ALICE, BODY, key="k-5") == Submitted(44, 0)
    assert fake_slurmrestd.requests_to(P["live_jobs"]) == []


def test_a_key_reused_on_another_host_is_refused(
    svc_hosts: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    other = f"hpcapi-idempotency:k-1:{request_digest({**BODY, 'ntasks': 2})}"
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"],
                                jobs_answer(accounting_record(job_id=40, comment=other)))
    error = refused(lambda: submit_job(svc_hosts, ALICE, BODY, key="k-1"))
    assert error.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert error.code.http_status == 409
    assert posted(fake_slurmrestd) == []


@pytest.mark.parametrize(("body", "code"), [
    ("not an object", ErrorCode.POSTDATA_PARSE_ERROR),
    ({**BODY, "nope": 1}, ErrorCode.UNKNOWN_PARAMETER),
    ({**BODY, "partition": "gpu"}, ErrorCode.BAD_PARTITION),
    ({**BODY, "mem-per-node": "lots"}, ErrorCode.BAD_MEMORY_SPEC),
])
def test_a_bad_request_is_refused_before_slurm_is_asked(
    svc_hosts: Services, fake_slurmrestd: FakeSlurmrestd, body: Any, code: ErrorCode
) -> None:
    # With several hosts a keyed request searches Slurm: not before the request is checked.
    before = len(fake_slurmrestd.requests)
    assert refused(lambda: submit_job(svc_hosts, ALICE, body, key="k-1")).code is code
    assert len(fake_slurmrestd.requests) == before


# --- how failures are named, and that they keep their cause -------------------------------------


def test_slurm_refusing_the_submission_is_422_with_its_cause(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("POST", P["submit"], errors_answer(
        2000, "Invalid partition name specified", "Batch job submission failed"), status=500)
    error = refused(lambda: submit_job(svc, ALICE, BODY))
    assert error.code is ErrorCode.BACKEND_QUERY_JOB_SUBMISSION_FAILED
    assert error.code.http_status == 422
    assert isinstance(error.__cause__, SlurmrestRejectedError)
    assert error.message == error.__cause__.message
    assert "Invalid partition name specified" in error.message
    assert error.__cause__.slurm_errors[0]["error_number"] == 2000


@pytest.mark.parametrize(("exc", "code", "cause"), [
    (ConnectFailed, ErrorCode.BACKEND_UNAVAILABLE,
     SlurmrestUnavailableError),
    (ReadTimedOut, ErrorCode.BACKEND_TIMEOUT, SlurmrestTimeoutError),
])
def test_an_outage_during_the_submission_keeps_the_transport_error(
    svc: Services, fake_slurmrestd: FakeSlurmrestd,
    exc: type[TransportError], code: ErrorCode, cause: type[Exception],
) -> None:
    fake_slurmrestd.fail("POST", P["submit"], exc)
    error = refused(lambda: submit_job(svc, ALICE, BODY))
    assert error.code is code
    assert type(error.__cause__) is cause
    assert isinstance(error.__cause__.__cause__, exc)  # and the transport error behind it


@pytest.mark.parametrize(("exc", "code", "cause"), [
    (ConnectFailed, ErrorCode.BACKEND_UNAVAILABLE,
     SlurmrestUnavailableError),
    (ReadTimedOut, ErrorCode.BACKEND_TIMEOUT, SlurmrestTimeoutError),
])
@pytest.mark.parametrize("failing", ["nodes", "live_job", "accounting_job", "accounting_jobs",
                                     "live_jobs"])
def test_a_failed_look_up_before_the_submission_is_an_outage_never_422(
    svc_hosts: Services, fake_slurmrestd: FakeSlurmrestd, failing: str,
    exc: type[TransportError], code: ErrorCode, cause: type[Exception],
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 77), NO_SUCH_JOB, status=500)
    fake_slurmrestd.answer_json("GET", accounting_job_path(V38, 77),
                                jobs_answer(accounting_record(job_id=77)))
    path = {"live_job": live_job_path(V38, 77), "accounting_job": accounting_job_path(V38, 77),
            "nodes": P["nodes"], "live_jobs": P["live_jobs"],
            "accounting_jobs": P["accounting_jobs"]}[failing]
    fake_slurmrestd.fail("GET", path, exc)
    body = {**BODY, "mem-per-node": "1G", "dependency": "afterok:77"}
    # With several hosts, the keyed request also searches accounting and slurmctld's list.
    error = refused(lambda: submit_job(svc_hosts, ALICE, body, key="k-1"))
    assert error.code is code
    assert type(error.__cause__) is cause
    assert posted(fake_slurmrestd) == []


def test_a_look_up_slurm_refuses_is_502_with_its_cause(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 77),
                                errors_answer(2002, "Access/permission denied"), status=500)
    error = refused(lambda: submit_job(svc, ALICE, {**BODY, "dependency": "afterok:77"}))
    assert error.code is ErrorCode.BACKEND_QUERY_FAILED
    assert isinstance(error.__cause__, SlurmrestRejectedError)


# --- a retry while another worker of this host submits the same key ---------------------------


class FakeWait:
    """time.sleep and time.monotonic as hpcapi.service.submit sees them: waiting takes no time.

    ``on_sleep`` runs at each wait, as the other worker's progress."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.on_sleep: Any = None
        monkeypatch.setattr(submit_module.time, "sleep", self.sleep)
        monkeypatch.setattr(submit_module.time, "monotonic", lambda: self.now)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


def test_a_retry_waits_for_the_worker_submitting_its_key(
    svc: Services, fake_slurmrestd: FakeSlurmrestd, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = request_digest(BODY)
    # Another worker of this host (alive: this very process) claimed the key and is submitting.
    assert svc.journal.claim_submission("alice", "k-1", digest)
    wait = FakeWait(monkeypatch)

    def the_other_worker_gets_its_job() -> None:
        if len(wait.sleeps) == 3:
            svc.journal.submitted("alice", 40, "k-1", digest)

    wait.on_sleep = the_other_worker_gets_its_job
    assert submit_job(svc, ALICE, BODY, key="k-1") == Submitted(40, 0, replay=True)
    assert len(wait.sleeps) == 3
    assert posted(fake_slurmrestd) == []


def test_a_claim_never_answered_is_looked_for_in_slurm_after_the_deadline(
    svc: Services, fake_slurmrestd: FakeSlurmrestd, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert svc.journal.claim_submission("alice", "k-1", request_digest(BODY))
    wait = FakeWait(monkeypatch)
    assert submit_job(svc, ALICE, BODY, key="k-1") == Submitted(42, 0)
    # It waited the whole slurmrestd timeout and its margin, then asked Slurm's full view.
    waited = sum(wait.sleeps)
    assert svc.config.backend_timeout < waited <= svc.config.backend_timeout + 5.0 + 0.05
    assert len(fake_slurmrestd.requests_to(P["live_jobs"])) == 1
    assert len(posted(fake_slurmrestd)) == 1
    entry = svc.journal.keyed_submission("alice", "k-1")
    assert entry is not None and entry.job_id == 42


def test_a_key_claimed_by_another_worker_meanwhile_is_looked_at_again(
    svc: Services, fake_slurmrestd: FakeSlurmrestd, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = svc.journal
    real_claim = journal.claim_submission
    claims: list[bool] = []

    def lose_the_race(user: str, key: str, digest_: str) -> bool:
        # The other worker's claim lands between this one's look-up and its claim.
        won = real_claim(user, key, digest_)
        assert won
        journal.submitted(user, 40, key, digest_)
        claims.append(False)
        return False

    monkeypatch.setattr(journal, "claim_submission", lose_the_race)
    assert submit_job(svc, ALICE, BODY, key="k-1") == Submitted(40, 0, replay=True)
    assert claims == [False]
    assert posted(fake_slurmrestd) == []  # the same request: a replay, not a 409


def test_jobs_without_an_hpcapi_comment_are_no_earlier_attempt(
    svc_hosts: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=30),  # no comment
        accounting_record(job_id=31, comment="my own note: k-1"),
        accounting_record(job_id=32, comment="hpcapi-idempotency:k-1"),  # no digest
        accounting_record(job_id=33, comment="hpcapi-idempotencyk-1:" + "0" * 24),
    ))
    assert submit_job(svc_hosts, ALICE, BODY, key="k-1") == Submitted(42, 0)
    assert len(fake_slurmrestd.requests_to(P["accounting_jobs"])) == 1  # they were looked at


# --- a relative begin counts from the submission ------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hpcapi.service.submit.time.time", lambda: NOW)


@pytest.mark.parametrize(("begin", "delay"), [("now+60", 60), ("now+2hours", 7200),
                                              ("now+1day", 86400)])
def test_relative_begin_in_a_dry_run_v0_0_38(svc: Services, clock: None, begin: str,
                                             delay: int) -> None:
    done = submit_job(svc, ALICE, {**BODY, "begin": begin}, dry_run=True)
    assert done.dry_run_body is not None
    # hpcapi resolves the offset from the submission and sends the local wall-clock time.
    expected = datetime.fromtimestamp(NOW + delay).strftime("%Y-%m-%dT%H:%M:%S")
    assert done.dry_run_body["job"]["begin_time"] == expected


@pytest.mark.parametrize(("begin", "delay"), [("now+60", 60), ("now+2hours", 7200)])
def test_relative_begin_in_a_dry_run_v0_0_44(svc44: Services, clock: None, begin: str,
                                             delay: int) -> None:
    done = submit_job(svc44, ALICE, {**BODY, "begin": begin}, dry_run=True)
    assert done.dry_run_body is not None
    assert done.dry_run_body["job"]["begin_time"] == {
        "set": True, "infinite": False, "number": int(NOW) + delay}


def test_relative_begin_of_a_real_submission_v0_0_44(
    svc44: Services, fake_slurmrestd: FakeSlurmrestd, clock: None
) -> None:
    assert submit_job(svc44, ALICE, {**BODY, "begin": "now+60"}) == Submitted(5000600, 0)
    (body,) = posted(fake_slurmrestd, V44)
    assert body["job"]["begin_time"] == {"set": True, "infinite": False,
                                         "number": 1_800_000_060}


def test_absolute_begin_in_a_dry_run(svc: Services, svc44: Services, clock: None) -> None:
    request = {**BODY, "begin": "2027-01-02T03:04:05"}
    done38 = submit_job(svc, ALICE, request, dry_run=True)
    assert done38.dry_run_body is not None
    assert done38.dry_run_body["job"]["begin_time"] == "2027-01-02T03:04:05"
    done44 = submit_job(svc44, ALICE, request, dry_run=True)
    assert done44.dry_run_body is not None
    assert done44.dry_run_body["job"]["begin_time"]["number"] == int(
        datetime(2027, 1, 2, 3, 4, 5).timestamp())


# --- the idempotency lock -----------------------------------------------------------------------


def test_the_look_up_and_the_submission_hold_the_keys_lock(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[bool] = []
    real_submit = svc.backend.submit

    def submit_and_look(user: Identity, job: JobDescription) -> int:
        held.append(submit_module._lock_for("alice", "k-1").locked())
        return real_submit(user, job)

    monkeypatch.setattr(svc.backend, "submit", submit_and_look)
    submit_job(svc, ALICE, BODY, key="k-1")
    submit_job(svc, ALICE, BODY)
    assert held == [True, False]
    assert not submit_module._lock_for("alice", "k-1").locked()  # released afterwards


def test_a_lock_is_per_user_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submit_module, "_key_locks", {})
    lock = submit_module._lock_for("alice", "k")
    assert submit_module._lock_for("alice", "k") is lock
    assert submit_module._lock_for("bob", "k") is not lock
    assert submit_module._lock_for("alice", "k2") is not lock


def test_the_locks_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    many = {(f"user{i}", "k"): threading.Lock() for i in range(10_001)}
    monkeypatch.setattr(submit_module, "_key_locks", many)
    submit_module._lock_for("alice", "k")
    assert list(many) == [("alice", "k")]


# --- check_idempotency_key ----------------------------------------------------------------------


@pytest.mark.parametrize(("values", "key"), [
    ([], None),
    (["k-1"], "k-1"),
    (["A.b_c:d-9"], "A.b_c:d-9"),
    (["x" * 128], "x" * 128),
])
def test_an_idempotency_key_is_taken(values: list[str], key: str | None) -> None:
    assert check_idempotency_key(values) == key


@pytest.mark.parametrize("values", [[""], ["x" * 129], ["two words"], ["a,b"], ["ключ"],
                                    ["k-1", "k-1"], ["k-1", "k-2"], ["k\n"]])
def test_a_bad_idempotency_key_is_refused(values: list[str]) -> None:
    error = refused(lambda: check_idempotency_key(values))
    assert error.code is ErrorCode.BAD_IDEMPOTENCY_KEY
    assert error.code.http_status == 400


# --- request_digest -----------------------------------------------------------------------------


def test_the_digest_is_of_the_request_as_sent_not_its_key_order() -> None:
    digest = request_digest({"partition": "norm", "script-body": SCRIPT})
    assert re.fullmatch(r"[0-9a-f]{24}", digest)
    assert request_digest({"script-body": SCRIPT, "partition": "norm"}) == digest
    assert request_digest({"partition": "quick", "script-body": SCRIPT}) != digest
    assert request_digest({"partition": "norm", "script-body": SCRIPT, "ntasks": 1}) != digest
    assert request_digest({**BODY, "ntasks": 1}) != request_digest({**BODY, "ntasks": "1"})
    assert request_digest({"job-name": "é"}) == request_digest({"job-name": "\u00e9"})


# --- check_dependencies and check_memory_fits ---------------------------------------------------


def test_no_dependency_asks_slurm_nothing(svc: Services,
                                          fake_slurmrestd: FakeSlurmrestd) -> None:
    before = len(fake_slurmrestd.requests)
    check_dependencies(svc, ALICE, parse_submit_request(BODY, svc.submit_policy))
    check_memory_fits(svc, ALICE, parse_submit_request(BODY, svc.submit_policy))
    assert len(fake_slurmrestd.requests) == before


@pytest.mark.parametrize(("owner", "refused_job"), [("alice", None), ("bob", 77)])
def test_check_dependencies(svc: Services, fake_slurmrestd: FakeSlurmrestd, owner: str,
                            refused_job: int | None) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 77),
                                jobs_answer(live_record(job_id=77, user=owner)))
    request = parse_submit_request({**BODY, "dependency": "afterok:77"}, svc.submit_policy)
    if refused_job is None:
        check_dependencies(svc, ALICE, request)
    else:
        error = refused(lambda: check_dependencies(svc, ALICE, request))
        assert error.code is ErrorCode.BAD_DEPENDENCY
        assert f"job {refused_job}" in error.message


def test_check_dependencies_passes_slurm_failures_on(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.fail("GET", live_job_path(V38, 77), ConnectFailed)
    request = parse_submit_request({**BODY, "dependency": "afterok:77"}, svc.submit_policy)
    with pytest.raises(SlurmrestUnavailableError):
        check_dependencies(svc, ALICE, request)


@pytest.mark.parametrize(("memory", "fits"), [
    ({"mem-per-node": "4000"}, True),
    ({"mem-per-node": "4001"}, False),
    ({"mem-per-cpu": "1000", "cpus-per-task": 4}, True),
    ({"mem-per-cpu": "1001", "cpus-per-task": 4}, False),
    ({"mem-per-cpu": "5G"}, False),
])
def test_check_memory_fits(svc: Services, memory: dict[str, Any], fits: bool) -> None:
    request = parse_submit_request({**BODY, **memory}, svc.submit_policy)
    if fits:
        check_memory_fits(svc, ALICE, request)
    else:
        error = refused(lambda: check_memory_fits(svc, ALICE, request))
        assert error.code is ErrorCode.BAD_MEMORY_SPEC
        assert "(4000 MB)" in error.message and "partition norm" in error.message


@pytest.mark.parametrize("several_hosts", [False, True])
def test_a_first_keyed_attempt_reads_slurmctlds_list_only_with_several_hosts(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, several_hosts: bool
) -> None:
    serve_lists(fake_slurmrestd, V38)
    svc = make_services(slurm_transport, make_server_config(several_hosts=several_hosts))
    assert submit_job(svc, ALICE, BODY, key="first").job_id == 42
    assert len(fake_slurmrestd.requests_to(P["live_jobs"])) == int(several_hosts)


def test_with_several_hosts_a_pending_job_of_another_host_is_replayed(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # Another host submitted it; accounting shows the pending job without its comment (seen
    # on 22.05 and 25.11), slurmctld with it.
    serve_lists(fake_slurmrestd, V38)
    comment = f"hpcapi-idempotency:k-9:{request_digest(BODY)}"
    fake_slurmrestd.answer_json("GET", P["live_jobs"],
                                jobs_answer(live_record(job_id=50, comment=comment)))
    svc = make_services(slurm_transport, make_server_config(several_hosts=True))
    assert submit_job(svc, ALICE, BODY, key="k-9") == Submitted(50, 0, replay=True)
    assert fake_slurmrestd.requests_to(P["submit"]) == []


def test_with_one_host_a_first_keyed_submission_asks_slurm_only_to_submit(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # One host (the default): its journal on disk holds every key sent here, so a key it does
    # not know was never used, and searching Slurm for an earlier job could find none.
    started = len(fake_slurmrestd.requests)  # the start-up questions (the API version)
    assert submit_job(svc, ALICE, BODY, key="k-1") == Submitted(42, 0)
    asked = [(r.method, r.path_url) for r in fake_slurmrestd.requests[started:]]
    assert asked == [("POST", P["submit"])]
    assert fake_slurmrestd.requests_to(P["accounting_jobs"]) == []
    assert fake_slurmrestd.requests_to(P["live_jobs"]) == []


def test_with_one_host_a_retry_after_a_restart_is_a_replay_from_the_journal_alone(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_lists(fake_slurmrestd, V38)
    first = make_services(slurm_transport)
    assert submit_job(first, ALICE, BODY, key="k-1") == Submitted(42, 0)
    # hpcapi restarts: new Services, a new journal over the same state directory's file.
    restarted = make_services(slurm_transport)
    assert restarted.journal is not first.journal
    assert restarted.config.state_directory == first.config.state_directory
    started = len(fake_slurmrestd.requests)
    assert submit_job(restarted, ALICE, BODY, key="k-1") == Submitted(42, 0, replay=True)
    error = refused(lambda: submit_job(restarted, ALICE, {**BODY, "ntasks": 3}, key="k-1"))
    assert error.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    # The journal on disk answered both: no search of Slurm, and no second job.
    assert fake_slurmrestd.requests[started:] == []
    assert len(posted(fake_slurmrestd)) == 1


def test_a_field_the_release_cannot_carry_is_refused_before_the_key_is_claimed(
    svc: Services, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # Slurm 22.05 has no key for --tmp: a named 400, and the key stays free (no journal entry
    # saying the outcome is unknown, which would make the retry ask slurmctld's job list).
    error = refused(lambda: submit_job(svc, ALICE, {**BODY, "tmp": "4G"}, key="k-6"))
    assert error.code is ErrorCode.BAD_PARAMETER and "tmp" in error.message
    assert svc.journal.keyed_submission("alice", "k-6") is None
    assert fake_slurmrestd.requests_to(P["submit"]) == []
    assert submit_job(svc, ALICE, BODY, key="k-6") == Submitted(42, 0)
    assert fake_slurmrestd.requests_to(P["live_jobs"]) == []
