"""Tests for POST /hpcapi/submit_job (hpcapi/web/submit.py over hpcapi/service/submit.py).

The app runs over the fake slurmrestd (Slurm 22.05, v0.0.38, unless a test serves v0.0.44);
each test checks both the answer and what reached slurmrestd.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import AppFactory, FakeSlurmrestd, make_server_config
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hpcapi.core.submit import SubmitPolicy, parse_submit_request
from hpcapi.service.submit import request_digest
from hpcapi.slurm.transport import (
    ConnectFailed,
    ConnectTimedOut,
    ExchangeBroken,
    ReadTimedOut,
    TransportError,
)
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
    nodes_answer,
    paths,
    recorded,
    serve_v0044,
)
from tests.submit_bodies import build_submit_body, owner
from tests.web_helpers import assert_failure, assert_success, sent_json

SCRIPT = "#!/bin/bash\necho hello\n"
BODY: dict[str, Any] = {"partition": "norm", "script-body": SCRIPT}
P = paths(V38)
SUBMIT = P["submit"]
ALICE = owner("alice", 1001, "/home/alice", "/bin/bash")
JOB_PATH = "/usr/local/bin:/usr/bin:/bin"
LANG = "C.UTF-8"


@pytest.fixture
def slurm(fake_slurmrestd: FakeSlurmrestd) -> FakeSlurmrestd:
    """slurmctld and slurmdbd hold no job of alice's; two nodes; a submission gets job 42."""
    fake_slurmrestd.answer_json("GET", P["live_jobs"], jobs_answer())
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    nodes = nodes_answer(("small", 4000, ["norm", "quick"]), ("big", 16000, ["norm"]))
    fake_slurmrestd.answer_json("GET", P["nodes"], nodes)
    fake_slurmrestd.answer_json("POST", SUBMIT, {"job_id": 42, "errors": []})
    return fake_slurmrestd


@pytest.fixture
def hosts_client(make_app: AppFactory) -> FlaskClient:
    """A client (as alice) of an hpcapi that is one of several hosts (``[state]
    several_hosts``): a key its journal does not know is searched for in Slurm."""
    return make_app(make_server_config(several_hosts=True)).test_client()


def submit(client: FlaskClient, body: Any = None, key: str | None = None,
           query: str = "") -> TestResponse:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(f"/hpcapi/submit_job{query}", json=BODY if body is None else body,
                       headers=headers)


def submissions(slurm: FakeSlurmrestd, path: str = SUBMIT) -> list[Any]:
    """The bodies POSTed to slurmrestd's submit path."""
    return [sent_json(r) for r in slurm.requests_to(path) if r.method == "POST"]


def expected_body(body: dict[str, Any], comment: str | None = None) -> dict[str, Any]:
    """What hpcapi should send to v0.0.38 for ``body`` from alice (no relative begin)."""
    request = parse_submit_request(body, SubmitPolicy(("norm", "quick")))
    return build_submit_body(request, ALICE, "/home/alice", JOB_PATH, LANG, comment=comment)


# --- success ------------------------------------------------------------------------------------


def test_submission_answers_frces_shape(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    body = assert_success(submit(client), "42")
    assert body == {"status": "call_success", "jobid": "42", "sbatch_lines_removed": 0,
                    "reason": "42"}
    assert list(body) == ["status", "jobid", "sbatch_lines_removed", "reason"]


def test_submission_sends_the_described_job_as_the_caller(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    submit(client)
    (sent,) = [r for r in slurm.requests_to(SUBMIT)]
    assert sent.method == "POST"
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"
    body = sent_json(sent)
    assert body == expected_body(BODY)
    assert body["script"] == SCRIPT
    job = body["job"]
    assert job["partition"] == "norm"
    assert job["name"] == "hpcapi"
    assert job["current_working_directory"] == "/home/alice"
    assert job["standard_output"] == "/home/alice/slurm-%j.out"
    assert job["environment"]["USER"] == "alice"
    assert job["environment"]["HOME"] == "/home/alice"
    assert "comment" not in job  # no Idempotency-Key, no comment


def test_submission_without_memory_or_dependency_asks_slurm_nothing_else(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    assert submit(client).status_code == 200
    asked = [r.method + " " + (r.path_url or "") for r in slurm.requests]
    assert asked == ["GET /openapi/v3", f"POST {SUBMIT}"]


def test_sbatch_lines_are_removed_and_counted(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    script = "#!/bin/bash\n#SBATCH --mem=1G\n#SBATCH -p gpu\necho hello\n"
    body = assert_success(submit(client, {"partition": "quick", "script-body": script}), "42")
    assert body["sbatch_lines_removed"] == 2
    (sent,) = submissions(slurm)
    assert sent["script"] == "#!/bin/bash\necho hello\n"
    assert sent["job"]["partition"] == "quick"


def test_submission_fields_reach_slurm(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    request = {**BODY, "ntasks": 4, "cpus-per-task": "2", "mem-per-cpu": "1G",
               "timelimit": "1:30:00", "job-name": "sample-7"}
    assert_success(submit(client, request), "42")
    (sent,) = submissions(slurm)
    assert sent == expected_body(request)
    job = sent["job"]
    assert (job["tasks"], job["cpus_per_task"], job["memory_per_cpu"], job["time_limit"],
            job["name"]) == (4, 2, 1024, 90, "sample-7")


def test_a_held_job_with_slurms_informational_error_is_a_success(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("POST", SUBMIT, {"job_id": 43, "errors": [
        {"error_number": 2042, "error": "Job held", "description": "held by user"}]})
    body = assert_success(submit(client, {**BODY, "hold": True}), "43")
    assert body["jobid"] == "43"
    (sent,) = submissions(slurm)
    assert sent["job"]["hold"] is True


def test_submission_is_audited_with_its_job(
    client: FlaskClient, slurm: FakeSlurmrestd, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hpcapi.audit"):
        submit(client)
        submit(client, query="?dry_run=1")
    lines = [r.getMessage() for r in caplog.records if r.name == "hpcapi.audit"]
    assert [line.split(" reason=")[1].split(" ms=")[0] for line in lines] == ["job=42", "dry_run"]


# --- dry run ------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["1", "true", "yes", "TRUE", "Yes"])
def test_dry_run_creates_nothing_and_answers_the_body(
    client: FlaskClient, slurm: FakeSlurmrestd, flag: str
) -> None:
    body = assert_success(submit(client, query=f"?dry_run={flag}"), "dry_run")
    assert list(body) == ["status", "job", "sbatch_lines_removed", "reason"]
    assert body["job"] == expected_body(BODY)
    assert body["sbatch_lines_removed"] == 0
    assert "jobid" not in body
    assert slurm.requests_to(SUBMIT) == []


@pytest.mark.parametrize("flag", ["0", "false", "no", "FALSE"])
def test_false_dry_run_values_submit(client: FlaskClient, slurm: FakeSlurmrestd,
                                     flag: str) -> None:
    assert_success(submit(client, query=f"?dry_run={flag}"), "42")
    assert len(submissions(slurm)) == 1


@pytest.mark.parametrize("query", ["?dry_run", "?dry_run=", "?dry_run=on", "?dry_run=2"])
def test_a_dry_run_value_that_is_neither_yes_nor_no_is_refused(
    client: FlaskClient, slurm: FakeSlurmrestd, query: str
) -> None:
    response = submit(client, query=query)
    assert slurm.requests_to(SUBMIT) == []  # whatever the answer, no job may be created
    assert_failure(response, 400, "bad_parameter")


def test_dry_run_still_runs_every_check(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    response = submit(client, {**BODY, "partition": "quick", "mem-per-node": "8G"},
                      query="?dry_run=1")
    assert_failure(response, 400, "bad_memory_spec")
    unknown_job_everywhere(slurm, 77)
    response = submit(client, {**BODY, "dependency": "afterok:77"}, query="?dry_run=1")
    assert_failure(response, 400, "bad_dependency")
    assert slurm.requests_to(SUBMIT) == []


def test_dry_run_with_a_key_shows_the_comment_and_looks_nothing_up(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    body = assert_success(submit(hosts_client, key="k-1", query="?dry_run=1"), "dry_run")
    comment = f"hpcapi-idempotency:k-1:{request_digest(BODY)}"
    assert body["job"]["job"]["comment"] == comment
    assert body["job"] == expected_body(BODY, comment=comment)
    assert slurm.requests_to(P["live_jobs"]) == []
    assert slurm.requests_to(P["accounting_jobs"]) == []
    assert slurm.requests_to(SUBMIT) == []


# --- memory -------------------------------------------------------------------------------------


def test_memory_larger_than_any_node_of_the_partition_is_refused(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    response = submit(client, {**BODY, "partition": "quick", "mem-per-node": "8G"})
    body = assert_failure(response, 400, "bad_memory_spec")
    assert "8192 MB" in body["message"] and "4000 MB" in body["message"]
    assert "quick" in body["message"]
    assert slurm.requests_to(SUBMIT) == []


def test_memory_that_one_node_of_the_partition_has_is_accepted(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    # norm has a 16000 MB node: 8G fits there, though not on the small node.
    assert_success(submit(client, {**BODY, "mem-per-node": "8G"}), "42")
    (sent,) = submissions(slurm)
    assert sent["job"]["memory_per_node"] == 8192


@pytest.mark.parametrize(("per_cpu", "cpus", "fits"), [
    ("2000", 3, False),  # 6000 MB a task on the 4000 MB nodes of quick
    ("1000", 4, True),
    ("4000", None, True),  # one CPU a task by default
    ("4001", None, False),
])
def test_memory_per_cpu_counts_every_cpu_of_a_task(
    client: FlaskClient, slurm: FakeSlurmrestd, per_cpu: str, cpus: int | None, fits: bool
) -> None:
    request = {**BODY, "partition": "quick", "mem-per-cpu": per_cpu}
    if cpus is not None:
        request["cpus-per-task"] = cpus
    response = submit(client, request)
    if fits:
        assert_success(response, "42")
    else:
        assert_failure(response, 400, "bad_memory_spec")
        assert slurm.requests_to(SUBMIT) == []


def test_memory_is_not_checked_when_slurm_knows_no_node_of_the_partition(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", P["nodes"], nodes_answer(("big", 16000, ["norm"])))
    assert_success(submit(client, {**BODY, "partition": "quick", "mem-per-node": "64G"}), "42")


def test_node_sizes_are_asked_once_for_several_submissions(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    for _ in range(3):
        assert_success(submit(client, {**BODY, "mem-per-node": "1G"}), "42")
    assert len(slurm.requests_to(P["nodes"])) == 1


# --- dependencies -------------------------------------------------------------------------------


def unknown_job_everywhere(slurm: FakeSlurmrestd, job_id: int) -> None:
    """Slurm 22.05 answers an unknown job with 500 and error 2017, at slurmctld and slurmdbd."""
    slurm.answer_json("GET", live_job_path(V38, job_id), NO_SUCH_JOB, status=500)
    slurm.answer_json("GET", accounting_job_path(V38, job_id), NO_SUCH_JOB, status=500)


def test_dependency_on_an_own_live_job_is_submitted(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", live_job_path(V38, 77), jobs_answer(live_record(job_id=77)))
    assert_success(submit(client, {**BODY, "dependency": "afterok:77"}), "42")
    (sent,) = submissions(slurm)
    assert sent["job"]["dependency"] == "afterok:77"
    assert sent["job"]["environment"]["SLURM_JOB_DEPENDENCY"] == "afterok:77"
    assert slurm.requests_to(accounting_job_path(V38, 77)) == []  # the live record sufficed


def test_dependency_on_an_own_job_only_in_accounting_is_submitted(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", live_job_path(V38, 77), NO_SUCH_JOB, status=500)
    slurm.answer_json("GET", accounting_job_path(V38, 77),
                      jobs_answer(accounting_record(job_id=77)))
    assert_success(submit(client, {**BODY, "dependency": "afterany:77"}), "42")


@pytest.mark.parametrize("where", ["live", "accounting"])
def test_dependency_on_someone_elses_job_is_refused(
    client: FlaskClient, slurm: FakeSlurmrestd, where: str
) -> None:
    if where == "live":
        slurm.answer_json("GET", live_job_path(V38, 77),
                          jobs_answer(live_record(job_id=77, user="bob")))
    else:
        slurm.answer_json("GET", live_job_path(V38, 77), NO_SUCH_JOB, status=500)
        slurm.answer_json("GET", accounting_job_path(V38, 77),
                          jobs_answer(accounting_record(job_id=77, user="bob")))
    body = assert_failure(submit(client, {**BODY, "dependency": "afterok:77"}), 400,
                          "bad_dependency")
    assert body["message"] == "job 77 does not exist or is not yours"
    assert slurm.requests_to(SUBMIT) == []


def test_dependency_on_a_job_that_does_not_exist_is_refused(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    unknown_job_everywhere(slurm, 77)
    body = assert_failure(submit(client, {**BODY, "dependency": "afterok:77"}), 400,
                          "bad_dependency")
    assert body["message"] == "job 77 does not exist or is not yours"
    assert slurm.requests_to(SUBMIT) == []


def test_every_job_of_a_dependency_is_checked(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_json("GET", live_job_path(V38, 77), jobs_answer(live_record(job_id=77)))
    slurm.answer_json("GET", live_job_path(V38, 78),
                      jobs_answer(live_record(job_id=78, user="bob")))
    body = assert_failure(submit(client, {**BODY, "dependency": "afterok:77:78"}), 400,
                          "bad_dependency")
    assert "job 78" in body["message"]


def test_a_live_answer_about_another_job_is_not_the_dependency(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    # slurmctld answered with some other job's record: job 77 is not known to be alice's.
    slurm.answer_json("GET", live_job_path(V38, 77), jobs_answer(live_record(job_id=76)))
    slurm.answer_json("GET", accounting_job_path(V38, 77), jobs_answer())
    assert_failure(submit(client, {**BODY, "dependency": "afterok:77"}), 400, "bad_dependency")


# --- Slurm refusing the submission --------------------------------------------------------------


@pytest.mark.parametrize(("status", "answer", "shown"), [
    (500, errors_answer(2000, "Invalid partition name specified", "Batch job submission failed"),
     "Invalid partition name specified"),
    (500, errors_answer(2004, "Requested node configuration is not available"),
     "Requested node configuration is not available"),
    (200, {"job_id": 0, **errors_answer(2013, "Invalid account or account/partition combination")},
     "Invalid account"),
    (200, {"errors": []}, "slurmrestd reported an error"),
    (400, errors_answer(9001, "Unable to parse query"), "Unable to parse query"),
])
def test_slurm_refusing_the_submission_is_422(
    client: FlaskClient, slurm: FakeSlurmrestd, status: int, answer: dict[str, Any], shown: str
) -> None:
    slurm.answer_json("POST", SUBMIT, answer, status=status)
    body = assert_failure(submit(client), 422, "backend_query_job_submission_failed")
    assert shown in body["message"]


def test_slurm_refusing_in_text_is_422(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_text("POST", SUBMIT, "Unable to parse query.", 500)
    body = assert_failure(submit(client), 422, "backend_query_job_submission_failed")
    assert "Unable to parse query." in body["message"]


@pytest.mark.parametrize(("exc", "status", "reason"), [
    (ConnectFailed, 503, "backend_unavailable"),
    (ConnectTimedOut, 503, "backend_unavailable"),
    (ReadTimedOut, 504, "backend_timeout"),
    (ExchangeBroken, 503, "backend_unavailable"),
])
def test_an_outage_during_the_submission_is_never_422(
    client: FlaskClient, slurm: FakeSlurmrestd, exc: type[TransportError],
    status: int, reason: str,
) -> None:
    slurm.fail("POST", SUBMIT, exc)
    assert_failure(submit(client), status, reason)


@pytest.mark.parametrize("number", [1001, 1800, 5005, 104])
def test_slurmctld_unreachable_behind_slurmrestd_is_503(
    client: FlaskClient, slurm: FakeSlurmrestd, number: int
) -> None:
    slurm.answer_json("POST", SUBMIT, errors_answer(number, "Unable to contact slurm controller"),
                      status=500)
    body = assert_failure(submit(client), 503, "backend_unavailable")
    assert "Unable to contact slurm controller" in body["message"]


def test_a_refused_token_at_submission_is_502(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_text("POST", SUBMIT, "Authentication failure", 401)
    body = assert_failure(submit(client), 502, "backend_query_failed")
    assert "JWT key" in body["message"]


# --- a failed look-up before the submission -----------------------------------------------------


@pytest.mark.parametrize(("exc", "status", "reason"), [
    (ConnectFailed, 503, "backend_unavailable"),
    (ReadTimedOut, 504, "backend_timeout"),
])
def test_node_look_up_failing_is_an_outage_not_a_refusal(
    client: FlaskClient, slurm: FakeSlurmrestd, exc: type[TransportError],
    status: int, reason: str,
) -> None:
    slurm.fail("GET", P["nodes"], exc)
    assert_failure(submit(client, {**BODY, "mem-per-node": "1G"}), status, reason)
    assert slurm.requests_to(SUBMIT) == []


@pytest.mark.parametrize("where", ["live", "accounting"])
@pytest.mark.parametrize(("exc", "status", "reason"), [
    (ConnectFailed, 503, "backend_unavailable"),
    (ReadTimedOut, 504, "backend_timeout"),
])
def test_dependency_look_up_failing_is_an_outage_not_a_refusal(
    client: FlaskClient, slurm: FakeSlurmrestd, where: str,
    exc: type[TransportError], status: int, reason: str,
) -> None:
    if where == "live":
        slurm.fail("GET", live_job_path(V38, 77), exc)
    else:
        slurm.answer_json("GET", live_job_path(V38, 77), NO_SUCH_JOB, status=500)
        slurm.fail("GET", accounting_job_path(V38, 77), exc)
    assert_failure(submit(client, {**BODY, "dependency": "afterok:77"}), status, reason)
    assert slurm.requests_to(SUBMIT) == []


def test_a_look_up_slurm_refuses_is_502_not_422(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_json("GET", live_job_path(V38, 77),
                      errors_answer(2002, "Access/permission denied"), status=500)
    body = assert_failure(submit(client, {**BODY, "dependency": "afterok:77"}), 502,
                          "backend_query_failed")
    assert "Access/permission denied" in body["message"]


def test_idempotency_look_up_failing_is_an_outage_not_a_refusal(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    # With several hosts a first keyed attempt searches accounting for another host's job.
    slurm.fail("GET", P["accounting_jobs"], ConnectFailed)
    assert_failure(submit(hosts_client, key="k-1"), 503, "backend_unavailable")
    assert slurm.requests_to(SUBMIT) == []
    # Nothing was claimed: once slurmdbd is back, the same request submits.
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer())
    assert_success(submit(hosts_client, key="k-1"), "42")


def test_slurmdbd_errors_in_the_idempotency_look_up_are_502(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", P["accounting_jobs"],
                      {"jobs": [], **errors_answer(9000, "Unknown field job_name")})
    body = assert_failure(submit(hosts_client, key="k-1"), 502, "backend_query_failed")
    assert "Unknown field job_name" in body["message"]
    assert slurm.requests_to(SUBMIT) == []


# --- Idempotency-Key ----------------------------------------------------------------------------


def comment_for(body: dict[str, Any], key: str = "k-1") -> str:
    return f"hpcapi-idempotency:{key}:{request_digest(body)}"


@pytest.mark.parametrize("key", ["", "two words", "x" * 129, "ключ", "a,b", "a/b", "k\t1"])
def test_a_bad_idempotency_key_is_400(
    client: FlaskClient, slurm: FakeSlurmrestd, key: str
) -> None:
    body = assert_failure(submit(client, key=key), 400, "bad_idempotency_key")
    assert "Idempotency-Key" in body["message"]
    assert slurm.requests_to(SUBMIT) == []


def test_a_repeated_idempotency_key_header_is_400(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    response = client.post("/hpcapi/submit_job", json=BODY,
                           headers=[("Idempotency-Key", "k-1"), ("Idempotency-Key", "k-1")])
    assert_failure(response, 400, "bad_idempotency_key")
    assert slurm.requests_to(SUBMIT) == []


def test_the_key_is_checked_before_the_body(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    response = client.post("/hpcapi/submit_job", data=b"not json",
                           content_type="application/json", headers={"Idempotency-Key": "no!"})
    assert_failure(response, 400, "bad_idempotency_key")


def test_the_longest_key_is_accepted(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    key = "A-z0._:" + "9" * 121
    assert len(key) == 128
    assert_success(submit(client, key=key), "42")
    (sent,) = submissions(slurm)
    assert sent["job"]["comment"] == comment_for(BODY, key)


def test_a_first_submission_with_a_key_carries_it_in_the_comment(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    body = assert_success(submit(client, key="k-1"), "42")
    assert "idempotent_replay" not in body
    (sent,) = submissions(slurm)
    assert sent == expected_body(BODY, comment=comment_for(BODY))


def test_with_one_host_a_first_keyed_submission_sends_slurm_only_the_job(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    # One host (the default): a key its journal does not know was never used, so neither
    # accounting nor slurmctld's list of every job is searched for an earlier attempt.
    assert_success(submit(client, key="k-1"), "42")
    asked = [r.method + " " + (r.path_url or "") for r in slurm.requests]
    assert asked == ["GET /openapi/v3", f"POST {SUBMIT}"]  # the start-up question, the job
    assert slurm.requests_to(P["accounting_jobs"]) == []
    assert slurm.requests_to(P["live_jobs"]) == []


def test_with_one_host_a_retry_after_a_restart_is_a_replay_from_the_journal(
    make_app: AppFactory, slurm: FakeSlurmrestd
) -> None:
    assert_success(submit(make_app().test_client(), key="k-1"), "42")
    # hpcapi restarts: a new app, whose journal is the same state directory's file.
    restarted = make_app().test_client()
    started = len(slurm.requests)
    body = assert_success(submit(restarted, key="k-1"), "42")
    assert body["idempotent_replay"] is True
    assert slurm.requests[started:] == []  # no search of Slurm, and no second job
    assert len(submissions(slurm)) == 1


def test_a_retry_to_this_host_is_answered_from_its_journal(
    client: FlaskClient, slurm: FakeSlurmrestd, caplog: pytest.LogCaptureFixture
) -> None:
    assert_success(submit(client, key="retry-1"), "42")
    asked = len(slurm.requests)
    with caplog.at_level(logging.INFO, logger="hpcapi.audit"):
        body = assert_success(submit(client, key="retry-1"), "42")
    assert body == {"status": "call_success", "jobid": "42", "sbatch_lines_removed": 0,
                    "idempotent_replay": True, "reason": "42"}
    assert len(slurm.requests) == asked  # Slurm was not asked again
    assert len(submissions(slurm)) == 1
    (line,) = [r.getMessage() for r in caplog.records if r.name == "hpcapi.audit"]
    assert "reason=job=42 replay" in line


def test_a_key_reused_here_with_a_different_body_is_409(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    assert_success(submit(client, key="k-1"), "42")
    body = assert_failure(submit(client, {**BODY, "ntasks": 2}, key="k-1"), 409,
                          "idempotency_key_reused")
    assert "'k-1'" in body["message"] and "job 42" in body["message"]
    assert len(submissions(slurm)) == 1


def test_a_first_attempt_on_another_host_is_found_in_accounting(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", P["accounting_jobs"],
                      jobs_answer(accounting_record(job_id=40, comment=comment_for(BODY))))
    body = assert_success(submit(hosts_client, key="k-1"), "40")
    assert body["idempotent_replay"] is True
    assert slurm.requests_to(SUBMIT) == []
    # ... and is this host's from then on.
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer())
    assert assert_success(submit(hosts_client, key="k-1"), "40")["idempotent_replay"] is True


def test_a_replay_counts_the_removed_sbatch_lines_again(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    request = {"partition": "norm", "script-body": "#!/bin/bash\n#SBATCH -n 2\ntrue\n"}
    slurm.answer_json("GET", P["accounting_jobs"],
                      jobs_answer(accounting_record(job_id=40, comment=comment_for(request))))
    body = assert_success(submit(hosts_client, request, key="k-1"), "40")
    assert body["sbatch_lines_removed"] == 1


def test_a_key_reused_on_another_host_with_a_different_body_is_409(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    other = comment_for({**BODY, "ntasks": 2})
    slurm.answer_json("GET", P["accounting_jobs"],
                      jobs_answer(accounting_record(job_id=40, comment=other)))
    body = assert_failure(submit(hosts_client, key="k-1"), 409, "idempotency_key_reused")
    assert "'k-1'" in body["message"] and "job 40" in body["message"]
    assert slurm.requests_to(SUBMIT) == []


def test_a_reused_key_names_the_lowest_earlier_job(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=41, comment="hpcapi-idempotency:k-1:" + "a" * 24),
        accounting_record(job_id=39, comment="hpcapi-idempotency:k-1:" + "b" * 24)))
    body = assert_failure(submit(hosts_client, key="k-1"), 409, "idempotency_key_reused")
    assert "job 39" in body["message"]


def test_of_several_matching_jobs_the_lowest_is_replayed(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=45, comment=comment_for(BODY)),
        accounting_record(job_id=44, comment=comment_for(BODY))))
    assert_success(submit(hosts_client, key="k-1"), "44")


def test_another_users_job_with_the_same_comment_is_not_a_replay(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=41, user="bob", comment=comment_for(BODY))))
    body = assert_success(submit(hosts_client, key="k-1"), "42")
    assert "idempotent_replay" not in body
    assert len(submissions(slurm)) == 1


def test_a_job_of_another_key_is_not_a_replay(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=40, comment=comment_for(BODY, "k-2"))))
    assert_success(submit(hosts_client, key="k-1"), "42")


@pytest.mark.parametrize("earlier", ["a:b", "a:" + "0" * 24])
def test_a_key_that_prefixes_an_earlier_key_is_a_new_key(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd, earlier: str
) -> None:
    # Keys may hold ':'. Job 40 was sent with key "a:b": key "a" was never used, and its first
    # use submits. (Found while writing these tests; hpcapi reads the key up to the last ':'.)
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=40, comment=comment_for(BODY, earlier))))
    assert_success(submit(hosts_client, key="a"), "42")


def test_a_key_that_prefixes_a_key_used_here_is_a_new_key(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    assert_success(submit(client, key="a:b"), "42")
    body = assert_success(submit(client, {**BODY, "ntasks": 2}, key="a"), "42")
    assert "idempotent_replay" not in body
    assert len(submissions(slurm)) == 2


def test_the_same_key_of_another_user_is_theirs(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    assert_success(submit(client, key="k-1"), "42")
    response = client.post("/hpcapi/submit_job", json=BODY, headers={"Idempotency-Key": "k-1"},
                           principal="bob@HPCAPI.TEST")
    body = assert_success(response, "42")
    assert "idempotent_replay" not in body
    first, second = slurm.requests_to(SUBMIT)
    assert (first.headers["X-SLURM-USER-NAME"], second.headers["X-SLURM-USER-NAME"]) == (
        "alice", "bob")


def test_a_key_refused_by_slurm_can_be_used_again(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("POST", SUBMIT, errors_answer(2000, "Invalid partition name specified"),
                      status=500)
    assert_failure(submit(client, key="k-1"), 422, "backend_query_job_submission_failed")
    slurm.answer_json("POST", SUBMIT, {"job_id": 42, "errors": []})
    body = assert_success(submit(client, key="k-1"), "42")  # Slurm made no job: submit again
    assert "idempotent_replay" not in body
    assert len(submissions(slurm)) == 2


def test_after_an_unknown_outcome_a_retry_finds_the_job_slurm_made(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.fail("POST", SUBMIT, ReadTimedOut)
    assert_failure(submit(client, key="k-1"), 504, "backend_timeout")
    # slurmctld made the job after all; slurmdbd does not know it yet.
    slurm.answer_json("GET", P["live_jobs"], jobs_answer(
        live_record(job_id=42, comment=comment_for(BODY))))
    body = assert_success(submit(client, key="k-1"), "42")
    assert body["idempotent_replay"] is True
    assert len(slurm.requests_to(SUBMIT)) == 1  # only the first, timed-out attempt
    assert len(slurm.requests_to(P["live_jobs"])) == 1  # the costly look-up, this once


def test_after_an_unknown_outcome_a_retry_submits_when_slurm_made_no_job(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.fail("POST", SUBMIT, ConnectFailed)
    assert_failure(submit(client, key="k-1"), 503, "backend_unavailable")
    slurm.answer_json("POST", SUBMIT, {"job_id": 43, "errors": []})
    body = assert_success(submit(client, key="k-1"), "43")
    assert "idempotent_replay" not in body
    assert_success(submit(client, key="k-1"), "43")  # and that job answers the key now


def test_after_an_unknown_outcome_a_reused_key_is_still_409(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.fail("POST", SUBMIT, ReadTimedOut)
    assert_failure(submit(client, key="k-1"), 504, "backend_timeout")
    slurm.answer_json("GET", P["live_jobs"], jobs_answer(
        live_record(job_id=42, comment=comment_for(BODY))))
    assert_failure(submit(client, {**BODY, "ntasks": 2}, key="k-1"), 409,
                   "idempotency_key_reused")


def test_after_an_unknown_outcome_a_failed_live_look_up_is_an_outage(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.fail("POST", SUBMIT, ReadTimedOut)
    assert_failure(submit(client, key="k-1"), 504, "backend_timeout")
    slurm.fail("GET", P["live_jobs"], ConnectFailed)
    assert_failure(submit(client, key="k-1"), 503, "backend_unavailable")
    assert len(slurm.requests_to(SUBMIT)) == 1


# --- the request itself -------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "status", "reason"), [
    ([], 400, "postdata_parse_error"),
    ({**BODY, "bogus": 1}, 400, "unknown_parameter"),
    ({"partition": "norm"}, 400, "no_script_given"),
    ({"script-body": SCRIPT}, 400, "no_partition_given"),
    ({**BODY, "partition": "restricted"}, 400, "bad_partition"),
    ({**BODY, "dependency": "afterok:"}, 400, "bad_dependency"),
    ({**BODY, "mem-per-cpu": "1G", "mem-per-node": "1G"}, 400,
     "conflicting_mem_specifications"),
])
def test_a_bad_request_is_refused_before_slurm_is_asked(
    hosts_client: FlaskClient, slurm: FakeSlurmrestd, body: Any, status: int, reason: str
) -> None:
    assert_failure(submit(hosts_client, body, key="k-1"), status, reason)
    assert [r.path_url for r in slurm.requests] == ["/openapi/v3"]


def test_a_body_that_is_not_json_is_refused(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    response = client.post("/hpcapi/submit_job", data=b"{", content_type="application/json")
    assert_failure(response, 400, "postdata_parse_error")
    response = client.post("/hpcapi/submit_job", data=b"{}", content_type="text/plain")
    assert_failure(response, 415, "wrong_content_type")


def test_submit_job_takes_only_post(client: FlaskClient) -> None:
    assert_failure(client.get("/hpcapi/submit_job"), 405, "method_not_allowed")


# --- Slurm 25.11 (v0.0.44) ----------------------------------------------------------------------


@pytest.fixture
def slurm44(fake_slurmrestd: FakeSlurmrestd) -> FakeSlurmrestd:
    serve_v0044(fake_slurmrestd)
    p = paths(V44)
    fake_slurmrestd.answer_json("GET", p["live_jobs"], jobs_answer())
    fake_slurmrestd.answer_json("GET", p["accounting_jobs"], jobs_answer())
    fake_slurmrestd.answer_json("GET", p["nodes"], recorded(V44, "nodes"))
    fake_slurmrestd.answer_json("POST", p["submit"], {"job_id": 5000600, "errors": []})
    return fake_slurmrestd


def test_v0_0_44_submission_sends_its_version_of_the_body(
    make_app: AppFactory, slurm44: FakeSlurmrestd
) -> None:
    client = make_app().test_client()
    request = {**BODY, "mem-per-node": "2G"}
    body = assert_success(submit(client, request, key="k-1"), "5000600")
    assert body["jobid"] == "5000600"
    (sent,) = submissions(slurm44, paths(V44)["submit"])
    assert set(sent) == {"job"}
    job = sent["job"]
    assert job["script"] == SCRIPT
    assert job["memory_per_node"] == {"set": True, "infinite": False, "number": 2048}
    assert "USER=alice" in job["environment"]
    assert job["comment"] == f"hpcapi-idempotency:k-1:{request_digest(request)}"


def test_v0_0_44_memory_is_checked_against_the_recorded_nodes(
    make_app: AppFactory, slurm44: FakeSlurmrestd
) -> None:
    client = make_app().test_client()
    body = assert_failure(submit(client, {**BODY, "mem-per-node": "4001"}), 400,
                          "bad_memory_spec")
    assert "4000 MB" in body["message"]


def test_v0_0_44_recorded_refusal_is_422(make_app: AppFactory, slurm44: FakeSlurmrestd) -> None:
    refusal = recorded(V44, "errors")["submit_bad_partition"]
    slurm44.answer_json("POST", paths(V44)["submit"], refusal["body"], refusal["status"])
    body = assert_failure(submit(make_app().test_client()), 422,
                          "backend_query_job_submission_failed")
    assert "Invalid partition name specified" in body["message"]
    assert "[slurm error 2000]" in body["message"]


def test_v0_0_44_replay_reads_the_comment_of_its_records(
    make_app: AppFactory, slurm44: FakeSlurmrestd
) -> None:
    # Another host's job, found in accounting: only with several hosts is it searched for.
    slurm44.answer_json("GET", paths(V44)["accounting_jobs"], jobs_answer(
        accounting_record(V44, job_id=5000599, comment=comment_for(BODY))))
    client = make_app(make_server_config(several_hosts=True)).test_client()
    body = assert_success(submit(client, key="k-1"), "5000599")
    assert body["idempotent_replay"] is True


# --- site policy: [submit] required_fields and defaults -----------------------------------------


@pytest.fixture
def policy_client(make_app: AppFactory) -> FlaskClient:
    config = make_server_config(required_fields=("account", "timelimit"),
                                job_defaults={"timelimit": "2:00:00", "qos": "normal",
                                              "mem-per-cpu": "2G"})
    return make_app(config).test_client()


def test_a_required_field_without_default_is_refused_before_slurm_is_asked(
        policy_client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    body = assert_failure(submit(policy_client), 400, "required_field_missing")
    assert body["message"] == "this site requires account on every job"
    for empty in (None, ""):
        assert_failure(submit(policy_client, {**BODY, "account": empty}), 400,
                       "required_field_missing")
    assert_failure(submit(policy_client, query="?dry_run=1"), 400, "required_field_missing")
    assert slurm.requests_to(SUBMIT) == []


def test_site_defaults_fill_what_the_request_leaves_out_and_never_override_it(
        policy_client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    assert_success(submit(policy_client, {**BODY, "account": "lab"}), "42")
    assert_success(submit(policy_client, {**BODY, "account": "lab", "timelimit": "10",
                                          "qos": "high", "mem-per-node": "8G"}), "42")
    defaulted, own = submissions(slurm)
    assert (defaulted["job"]["time_limit"], defaulted["job"]["qos"],
            defaulted["job"]["memory_per_cpu"]) == (120, "normal", 2048)
    # The request's own values win; a default beside a field it conflicts with is left out.
    assert (own["job"]["time_limit"], own["job"]["qos"], own["job"]["memory_per_node"]) == (
        10, "high", 8192)
    assert "memory_per_cpu" not in own["job"]
