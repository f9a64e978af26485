"""Tests for one of the caller's jobs (hpcapi/web/jobs.py over hpcapi/service/jobs.py):
GET /hpcapi/job/<id>, DELETE /hpcapi/job/<id> and FRCE's POST /hpcapi/cancel_job.

Someone else's job and a job that does not exist must answer the same 404.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from conftest import AppFactory, FakeSlurmrestd
from flask.testing import FlaskClient

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
    recorded,
    serve_v0044,
    unknown_job,
)
from tests.web_helpers import assert_failure, assert_success

HELD = 29  # the recorded held (PENDING) job of Slurm 22.05
COMPLETED = 26

HELD_DETAIL = {
    "job_id": "29", "user": "alice", "name": "rec-held", "partition": "quick",
    "state": "PENDING", "reason": "JobHeldUser", "submit": "2026-11-21T14:29:14Z",
    "start": None, "end": None, "time_limit": 5, "exit_code": None, "signal": None,
    "nodes": None, "output": "/home/alice/record-29.out", "error": "/home/alice/record-29.out",
    "working_directory": "/home/alice",
}


def serve_live(slurm: FakeSlurmrestd, record: dict[str, Any], version: str = V38) -> None:
    slurm.answer_json("GET", live_job_path(version, record["job_id"]), jobs_answer(record))


def job_requests(slurm: FakeSlurmrestd) -> list[str]:
    """Every request the fake got about single jobs (GET or DELETE), as 'METHOD path'."""
    return [f"{r.method} {r.path_url}" for r in slurm.requests if "/job/" in (r.path_url or "")]


# --- GET /hpcapi/job/<id> -----------------------------------------------------------------------


def test_own_job_found_live(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    serve_live(fake_slurmrestd, live_record(kind="held"))
    body = assert_success(client.get(f"/hpcapi/job/{HELD}"), "job_found")
    assert body == {"status": "call_success", "job": HELD_DETAIL, "reason": "job_found"}
    (sent,) = fake_slurmrestd.requests_to(live_job_path(V38, HELD))
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"
    assert fake_slurmrestd.requests_to(accounting_job_path(V38, HELD)) == []


def test_own_job_found_only_in_accounting(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, COMPLETED), NO_SUCH_JOB, status=500)
    fake_slurmrestd.answer_json("GET", accounting_job_path(V38, COMPLETED),
                                jobs_answer(accounting_record(kind="completed")))
    job = assert_success(client.get(f"/hpcapi/job/{COMPLETED}"), "job_found")["job"]
    assert job == {
        "job_id": "26", "user": "alice", "name": "rec-completed", "partition": "quick",
        "state": "COMPLETED", "reason": None, "submit": "2026-11-21T14:29:14Z",
        "start": "2026-11-21T14:29:15Z", "end": "2026-11-21T14:29:15Z", "time_limit": 5,
        "exit_code": 0, "signal": None, "nodes": "localhost",
        # Slurm 22.05's accounting records no output paths.
        "output": None, "error": None, "working_directory": "/home/alice",
    }


def test_a_live_answer_without_the_job_falls_back_to_accounting(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, COMPLETED), jobs_answer())
    fake_slurmrestd.answer_json("GET", accounting_job_path(V38, COMPLETED),
                                jobs_answer(accounting_record(kind="completed")))
    job = assert_success(client.get(f"/hpcapi/job/{COMPLETED}"), "job_found")["job"]
    assert job["state"] == "COMPLETED" and job["output"] is None


@pytest.mark.parametrize("where", ["live", "accounting"])
def test_someone_elses_job_is_404_like_a_missing_one(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, where: str
) -> None:
    if where == "live":
        serve_live(fake_slurmrestd, live_record(kind="held", user="bob"))
    else:
        fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD), NO_SUCH_JOB, status=500)
        fake_slurmrestd.answer_json("GET", accounting_job_path(V38, HELD),
                                    jobs_answer(accounting_record(kind="held", user="bob")))
    other = assert_failure(client.get(f"/hpcapi/job/{HELD}"), 404, "job_not_found")
    unknown_job(fake_slurmrestd, V38, HELD)
    missing = assert_failure(client.get(f"/hpcapi/job/{HELD}"), 404, "job_not_found")
    assert other == missing
    assert other["message"] == "there is no job 29 of yours"
    assert "bob" not in other["message"]


def test_a_nonexistent_job_is_404(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    unknown_job(fake_slurmrestd, V38, 999999)
    assert_failure(client.get("/hpcapi/job/999999"), 404, "job_not_found")
    assert job_requests(fake_slurmrestd) == [
        f"GET {live_job_path(V38, 999999)}", f"GET {accounting_job_path(V38, 999999)}"
    ]


def test_slurmdbd_nothing_found_is_404(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, 5), NO_SUCH_JOB, status=500)
    fake_slurmrestd.answer_json("GET", accounting_job_path(V38, 5),
                                {"jobs": [], **errors_answer(9003, "Nothing found with query")})
    assert_failure(client.get("/hpcapi/job/5"), 404, "job_not_found")


@pytest.mark.parametrize("job_id", ["abc", "0", "-1", "4294967296", "99999999999999999999",
                                    "1.5", "1e3", "+7", "٣", "0x1a", "%2B7"])
def test_a_bad_job_id_is_404_without_asking_slurm(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, job_id: str
) -> None:
    body = assert_failure(client.get(f"/hpcapi/job/{job_id}"), 404, "job_not_found")
    assert body["message"].startswith("there is no job ")
    assert_failure(client.delete(f"/hpcapi/job/{job_id}"), 404, "job_not_found")
    assert job_requests(fake_slurmrestd) == []


def test_the_largest_job_id_is_asked_for(client: FlaskClient,
                                         fake_slurmrestd: FakeSlurmrestd) -> None:
    unknown_job(fake_slurmrestd, V38, 4294967295)
    assert_failure(client.get("/hpcapi/job/4294967295"), 404, "job_not_found")
    assert len(fake_slurmrestd.requests_to(live_job_path(V38, 4294967295))) == 1


def test_a_long_bad_job_id_is_cut_in_the_message(client: FlaskClient) -> None:
    body = assert_failure(client.get("/hpcapi/job/" + "x" * 300), 404, "job_not_found")
    assert "x" * 40 in body["message"] and "x" * 41 not in body["message"]


@pytest.mark.parametrize(("exc", "status", "reason"), [
    (ConnectFailed, 503, "backend_unavailable"),
    (ReadTimedOut, 504, "backend_timeout"),
])
def test_a_failed_look_up_is_an_outage_not_a_404(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd,
    exc: type[TransportError], status: int, reason: str,
) -> None:
    fake_slurmrestd.fail("GET", live_job_path(V38, HELD), exc)
    assert_failure(client.get(f"/hpcapi/job/{HELD}"), status, reason)
    assert_failure(client.delete(f"/hpcapi/job/{HELD}"), status, reason)


def test_slurm_refusing_the_look_up_is_502(client: FlaskClient,
                                           fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, HELD),
                                errors_answer(2002, "Access/permission denied"), status=500)
    body = assert_failure(client.get(f"/hpcapi/job/{HELD}"), 502, "backend_query_failed")
    assert "Access/permission denied" in body["message"]


def test_v0_0_44_job_detail_from_the_recorded_records(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_v0044(fake_slurmrestd)
    held = recorded(V44, "live")["kinds"]["held"]
    serve_live(fake_slurmrestd, live_record(V44, kind="held"), V44)
    client = make_app().test_client()
    job = assert_success(client.get(f"/hpcapi/job/{held}"), "job_found")["job"]
    assert (job["job_id"], job["state"], job["reason"], job["output"]) == (
        str(held), "PENDING", "JobHeldUser", f"/home/alice/record-{held}.out")
    # Slurm 25.11 answers an unknown job with 404 and error 2017 (recorded).
    unknown = recorded(V44, "errors")["live_job_unknown"]
    fake_slurmrestd.answer_json("GET", live_job_path(V44, 999999999), unknown["body"],
                                unknown["status"])
    unknown_db = recorded(V44, "errors")["accounting_job_unknown"]
    fake_slurmrestd.answer_json("GET", accounting_job_path(V44, 999999999), unknown_db["body"],
                                unknown_db["status"])
    assert_failure(client.get("/hpcapi/job/999999999"), 404, "job_not_found")


# --- DELETE /hpcapi/job/<id> --------------------------------------------------------------------


def test_cancel_own_pending_job(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd,
                                caplog: pytest.LogCaptureFixture) -> None:
    serve_live(fake_slurmrestd, live_record(kind="held"))
    fake_slurmrestd.answer_json("DELETE", live_job_path(V38, HELD), {"errors": []})
    with caplog.at_level(logging.INFO, logger="hpcapi.audit"):
        body = assert_success(client.delete(f"/hpcapi/job/{HELD}"), "cancel_success")
    assert body == {"status": "call_success", "jobid": "29", "reason": "cancel_success"}
    (sent,) = [r for r in fake_slurmrestd.requests_to(live_job_path(V38, HELD))
               if r.method == "DELETE"]
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"
    (line,) = [r.getMessage() for r in caplog.records if r.name == "hpcapi.audit"]
    assert "method=DELETE path=/hpcapi/job/29 status=200 reason=cancelled=29" in line


@pytest.mark.parametrize("kind", ["completed", "failed", "cancelled"])
def test_cancel_of_a_finished_job_is_409_without_asking_slurm_to_cancel(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, kind: str
) -> None:
    record = live_record(kind=kind)
    serve_live(fake_slurmrestd, record)
    body = assert_failure(client.delete(f"/hpcapi/job/{record['job_id']}"), 409,
                          "job_already_finished")
    assert kind.upper() in body["message"]
    assert [r for r in fake_slurmrestd.requests if r.method == "DELETE"] == []


def test_cancel_of_a_job_finished_in_accounting_is_409(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", live_job_path(V38, COMPLETED), NO_SUCH_JOB, status=500)
    fake_slurmrestd.answer_json("GET", accounting_job_path(V38, COMPLETED),
                                jobs_answer(accounting_record(kind="completed")))
    assert_failure(client.delete(f"/hpcapi/job/{COMPLETED}"), 409, "job_already_finished")


def test_cancel_of_someone_elses_job_is_404_and_never_sent(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_live(fake_slurmrestd, live_record(kind="held", user="bob"))
    assert_failure(client.delete(f"/hpcapi/job/{HELD}"), 404, "job_not_found")
    assert [r for r in fake_slurmrestd.requests if r.method == "DELETE"] == []


def test_cancel_of_a_nonexistent_job_is_404(client: FlaskClient,
                                            fake_slurmrestd: FakeSlurmrestd) -> None:
    unknown_job(fake_slurmrestd, V38, 999999)
    assert_failure(client.delete("/hpcapi/job/999999"), 404, "job_not_found")


@pytest.mark.parametrize(("number", "status", "reason"), [
    (2021, 409, "job_already_finished"),  # it ended between the look-up and the cancel
    (2017, 404, "job_not_found"),
    (2002, 404, "job_not_found"),
    (2000, 502, "backend_query_failed"),  # any other refusal
])
def test_cancel_refused_by_slurm_22_05(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, number: int, status: int, reason: str
) -> None:
    serve_live(fake_slurmrestd, live_record(kind="held"))
    fake_slurmrestd.answer_json("DELETE", live_job_path(V38, HELD),
                                errors_answer(number, "refused"), status=500)
    assert_failure(client.delete(f"/hpcapi/job/{HELD}"), status, reason)


@pytest.mark.parametrize(("exc", "status", "reason"), [
    (ConnectFailed, 503, "backend_unavailable"),
    (ReadTimedOut, 504, "backend_timeout"),
])
def test_cancel_transport_failures(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd,
    exc: type[TransportError], status: int, reason: str,
) -> None:
    serve_live(fake_slurmrestd, live_record(kind="held"))
    fake_slurmrestd.fail("DELETE", live_job_path(V38, HELD), exc)
    assert_failure(client.delete(f"/hpcapi/job/{HELD}"), status, reason)


# --- cancel on Slurm 25.11 (v0.0.44): refusals inside status[] with HTTP 200 --------------------


@pytest.fixture
def client44(make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd) -> FlaskClient:
    serve_v0044(fake_slurmrestd)
    serve_live(fake_slurmrestd, live_record(V44, kind="held"), V44)
    return make_app().test_client()


HELD44 = 5000561


def cancel_status(code: int, text: str) -> dict[str, Any]:
    """A v0.0.44 cancel answer: HTTP 200, no errors, the outcome in status[] (as recorded)."""
    answer: dict[str, Any] = recorded(V44, "errors")["cancel_finished"]["body"]
    answer["status"][0]["error"] = {"code": code, "message": text, "string": text}
    answer["status"][0]["job_id"]["number"] = HELD44
    return answer


def test_v0_0_44_cancel_success(client44: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("DELETE", live_job_path(V44, HELD44), cancel_status(0, "No error"))
    body = assert_success(client44.delete(f"/hpcapi/job/{HELD44}"), "cancel_success")
    assert body["jobid"] == str(HELD44)


@pytest.mark.parametrize(("code", "status", "reason"), [
    (2021, 409, "job_already_finished"),
    (2017, 404, "job_not_found"),
    (2002, 404, "job_not_found"),
    (2000, 502, "backend_query_failed"),
])
def test_v0_0_44_cancel_refused_in_status(
    client44: FlaskClient, fake_slurmrestd: FakeSlurmrestd, code: int, status: int, reason: str
) -> None:
    fake_slurmrestd.answer_json("DELETE", live_job_path(V44, HELD44),
                                cancel_status(code, "Slurm says no"))
    body = assert_failure(client44.delete(f"/hpcapi/job/{HELD44}"), status, reason)
    if reason == "backend_query_failed":
        assert "Slurm says no" in body["message"]


def test_v0_0_44_recorded_cancel_of_an_unknown_job_is_404(
    client44: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    unknown = recorded(V44, "errors")["cancel_unknown"]
    fake_slurmrestd.answer_json("DELETE", live_job_path(V44, HELD44), unknown["body"],
                                unknown["status"])
    assert_failure(client44.delete(f"/hpcapi/job/{HELD44}"), 404, "job_not_found")


def test_v0_0_44_recorded_cancel_of_a_finished_job_is_409(
    client44: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    finished = recorded(V44, "errors")["cancel_finished"]
    fake_slurmrestd.answer_json("DELETE", live_job_path(V44, HELD44), finished["body"],
                                finished["status"])
    assert_failure(client44.delete(f"/hpcapi/job/{HELD44}"), 409, "job_already_finished")


# --- FRCE's POST /hpcapi/cancel_job -------------------------------------------------------------


@pytest.mark.parametrize("jobid", ["29", 29, " 29 "])
def test_frce_cancel(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, jobid: Any) -> None:
    serve_live(fake_slurmrestd, live_record(kind="held"))
    fake_slurmrestd.answer_json("DELETE", live_job_path(V38, HELD), {"errors": []})
    body = assert_success(client.post("/hpcapi/cancel_job", json={"jobid": jobid}),
                          "cancel_success")
    assert body == {"status": "call_success", "jobid": "29", "reason": "cancel_success"}
    assert [r.method for r in fake_slurmrestd.requests_to(live_job_path(V38, HELD))] == [
        "GET", "DELETE"]


@pytest.mark.parametrize(("body", "reason"), [
    ([], "postdata_parse_error"),
    (["29"], "postdata_parse_error"),
    ("29", "postdata_parse_error"),
    (29, "postdata_parse_error"),
    (None, "postdata_parse_error"),
    ({"jobid": "29", "force": True}, "unknown_parameter"),
    ({"job_id": "29"}, "unknown_parameter"),
    ({}, "bad_parameter"),
])
def test_frce_cancel_with_a_bad_body_is_400(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, body: Any, reason: str
) -> None:
    response = client.post("/hpcapi/cancel_job", data=json.dumps(body),
                           content_type="application/json")
    answer = assert_failure(response, 400, reason)
    if reason == "unknown_parameter":
        assert "'force'" in answer["message"] or "'job_id'" in answer["message"]
    assert job_requests(fake_slurmrestd) == []


@pytest.mark.parametrize("jobid", [None, True, False, 1.5, 29.0, -29, 0, 2**32, [29], {"id": 29},
                                   "", "abc"])
def test_frce_cancel_with_a_jobid_that_is_no_job_is_404(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, jobid: Any
) -> None:
    assert_failure(client.post("/hpcapi/cancel_job", json={"jobid": jobid}), 404, "job_not_found")
    assert job_requests(fake_slurmrestd) == []


def test_frce_cancel_of_a_finished_job_is_409(client: FlaskClient,
                                              fake_slurmrestd: FakeSlurmrestd) -> None:
    serve_live(fake_slurmrestd, live_record(kind="completed"))
    assert_failure(client.post("/hpcapi/cancel_job", json={"jobid": "26"}), 409,
                   "job_already_finished")


def test_cancel_job_takes_only_post(client: FlaskClient) -> None:
    assert_failure(client.get("/hpcapi/cancel_job"), 405, "method_not_allowed")


# --- GET /hpcapi/job/<id>_<task>/output, before the helper is asked ------------------------------


def serve_array(slurm: FakeSlurmrestd) -> int:
    """The recorded 22.05 array 0-2%1 (task 0 running, 1-2 pending) in both views; its id."""
    array = recorded(V38, "array")
    slurm.answer_json("GET", live_job_path(V38, array["array_job_id"]), array["live"])
    slurm.answer_json("GET", accounting_job_path(V38, array["array_job_id"]), array["accounting"])
    return int(array["array_job_id"])


def test_a_pending_array_task_s_output_is_not_there_yet(
        client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    array_id = serve_array(fake_slurmrestd)
    body = assert_failure(client.get(f"/hpcapi/job/{array_id}_2/output"), 409,
                          "output_not_available")
    assert body["message"] == f"array task 2 of job {array_id} has not started"


def test_an_array_task_that_is_not_in_the_array_is_404(
        client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    array_id = serve_array(fake_slurmrestd)
    body = assert_failure(client.get(f"/hpcapi/job/{array_id}_3/output"), 404, "job_not_found")
    assert body["message"] == f"there is no job {array_id}_3 of yours"


def test_another_user_s_array_task_is_404(
        client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    array = recorded(V38, "array")
    for record in array["live"]["jobs"] + array["accounting"]["jobs"]:
        record["user_name" if "user_name" in record else "user"] = "bob"
    slurm = fake_slurmrestd
    slurm.answer_json("GET", live_job_path(V38, array["array_job_id"]), array["live"])
    slurm.answer_json("GET", accounting_job_path(V38, array["array_job_id"]), array["accounting"])
    for task in (0, 1):
        assert_failure(client.get(f"/hpcapi/job/{array['array_job_id']}_{task}/output"), 404,
                       "job_not_found")


def test_an_array_s_last_pending_task_with_a_record_of_its_own_is_not_there_yet(
        client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    # Slurm 22.05 gives the last task left pending its task id in the array's own record.
    array = recorded(V38, "array")
    pending = next(j for j in array["live"]["jobs"] if j["job_state"] == "PENDING")
    pending.update(array_task_id=2, array_task_string="")
    fake_slurmrestd.answer_json("GET", live_job_path(V38, array["array_job_id"]), array["live"])
    body = assert_failure(client.get(f"/hpcapi/job/{array['array_job_id']}_2/output"), 409,
                          "output_not_available")
    assert body["message"] == f"array task 2 of job {array['array_job_id']} has not started"
