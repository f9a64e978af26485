"""Tests for GET /hpcapi/query_status (hpcapi/web/status.py over hpcapi/service/history.py): the
caller's recent jobs in FRCE's shape, from slurmdbd's accounting, with slurmctld's record of the
jobs this host submitted or cancelled lately (read-your-writes).

The clock hpcapi's history reads is fixed ten minutes after the recorded jobs were submitted, so
that the window does not depend on when the tests run.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AppFactory, FakeSlurmrestd, make_server_config
from flask.testing import FlaskClient

from hpcapi.core.jobs import frce_job_entry
from hpcapi.slurm.transport import ConnectFailed, ExchangeBroken, ReadTimedOut, TransportError
from tests.slurm_answers import (
    NO_SUCH_JOB,
    V38,
    V44,
    accounting_record,
    errors_answer,
    jobs_answer,
    live_job_path,
    live_record,
    paths,
    recorded,
    serve_v0044,
)
from tests.web_helpers import assert_failure, assert_success

P = paths(V38)
SUBMITTED_38 = 1795271354  # when the recorded 22.05 jobs were submitted
NOW_38 = SUBMITTED_38 + 600
FRCE_KEYS = ["user", "name", "partition", "start", "end", "state", "submit", "exit_code",
             "reason"]
SCRIPT = "#!/bin/bash\ntrue\n"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """time.time() as hpcapi's history reads it, fixed at NOW_38 (change ``clock[0]``)."""
    now = [float(NOW_38)]
    monkeypatch.setattr("hpcapi.service.history.time.time", lambda: now[0])
    return now


@pytest.fixture
def slurm(fake_slurmrestd: FakeSlurmrestd, clock: list[float]) -> FakeSlurmrestd:
    """slurmdbd knows no job of alice's; a submission gets job 42, a cancel succeeds."""
    fake_slurmrestd.answer_json("GET", P["accounting_jobs"], jobs_answer())
    fake_slurmrestd.answer_json("POST", P["submit"], {"job_id": 42, "errors": []})
    return fake_slurmrestd


def db_query(slurm: FakeSlurmrestd, path: str = P["accounting_jobs"]) -> dict[str, list[str]]:
    (request,) = slurm.requests_to(path)
    return parse_qs(urlsplit(request.url or "").query)


def job_look_ups(slurm: FakeSlurmrestd) -> list[str]:
    """The single jobs asked of slurmctld, in order."""
    return [r.path_url or "" for r in slurm.requests
            if r.method == "GET" and (r.path_url or "").startswith(f"/slurm/{V38}/job/")]


def test_no_jobs(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert body == {"status": "call_success", "reason": "query_success"}


def test_the_list_of_every_live_job_is_never_read(client: FlaskClient,
                                                  slurm: FakeSlurmrestd) -> None:
    # slurmrestd cannot filter slurmctld's jobs by user: their cost grows with everyone's jobs.
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(accounting_record(kind="held")))
    assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert slurm.requests_to(P["live_jobs"]) == []
    assert job_look_ups(slurm) == []


def test_accounting_in_frces_shape(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(kind="completed"), accounting_record(kind="held")))
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert list(body) == ["status", "26", "29", "reason"]
    assert body["26"] == {
        "user": "alice", "name": "rec-completed", "partition": "quick",
        "start": "2026-11-21T14:29:15Z", "end": "2026-11-21T14:29:15Z", "state": "COMPLETED",
        "submit": "2026-11-21T14:29:14Z", "exit_code": 0, "reason": None,
    }
    assert list(body["26"]) == FRCE_KEYS
    assert (body["29"]["state"], body["29"]["reason"], body["29"]["start"]) == (
        "PENDING", "JobHeldUser", None)


# --- exit codes only slurmctld knows (Slurm 22.05) ----------------------------------------------


def test_a_lately_finished_jobs_exit_code_comes_from_slurmctld(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    # 22.05's slurmdbd records no usable exit code for a FAILED job; slurmctld still has it.
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(accounting_record(kind="failed")))
    slurm.answer_json("GET", live_job_path(V38, 27), jobs_answer(live_record(kind="failed")))
    for _ in range(2):
        body = assert_success(client.get("/hpcapi/query_status"), "query_success")
        assert (body["27"]["state"], body["27"]["exit_code"]) == ("FAILED", 3)
    assert job_look_ups(slurm) == [live_job_path(V38, 27)]  # a finished job is asked once


def test_a_long_finished_jobs_exit_code_is_not_asked_for(
    client: FlaskClient, slurm: FakeSlurmrestd, clock: list[float]
) -> None:
    clock[0] = SUBMITTED_38 + 3600  # slurmctld forgot the job long ago (MinJobAge)
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(accounting_record(kind="failed")))
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert body["27"]["exit_code"] is None
    assert job_look_ups(slurm) == []


def test_an_exit_code_slurmctld_no_longer_has_stays_unknown(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(accounting_record(kind="failed")))
    slurm.answer_json("GET", live_job_path(V38, 27), NO_SUCH_JOB, status=500)
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert body["27"]["exit_code"] is None


# --- read-your-writes ---------------------------------------------------------------------------


def test_a_job_submitted_here_is_shown_before_accounting_has_it(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    assert_success(client.post("/hpcapi/submit_job",
                               json={"partition": "quick", "script-body": SCRIPT}), "42")
    slurm.answer_json("GET", live_job_path(V38, 42), jobs_answer(
        live_record(job_id=42, submit_time=NOW_38 - 5)))
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert list(body) == ["status", "42", "reason"]
    assert (body["42"]["state"], body["42"]["reason"]) == ("PENDING", "JobHeldUser")
    # Once accounting has it, slurmctld is not asked any more.
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(accounting_record(job_id=42)))
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert body["42"]["state"] == "COMPLETED"
    assert job_look_ups(slurm) == [live_job_path(V38, 42)]


def test_a_job_cancelled_here_is_shown_cancelled_before_accounting_says_so(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    slurm.answer_json("GET", live_job_path(V38, 29), jobs_answer(live_record(kind="held")))
    slurm.answer_json("DELETE", live_job_path(V38, 29), {"errors": []})
    assert_success(client.delete("/hpcapi/job/29"), "cancel_success")
    # slurmdbd still has it pending; slurmctld has it cancelled: slurmctld's record wins.
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(accounting_record(kind="held")))
    slurm.answer_json("GET", live_job_path(V38, 29), jobs_answer(
        live_record(kind="held", state="CANCELLED")))
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert body["29"]["state"] == "CANCELLED"
    # Once accounting shows it finished, slurmctld is not asked any more.
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(accounting_record(
        kind="held", state="CANCELLED")))
    before = len(job_look_ups(slurm))
    assert assert_success(client.get("/hpcapi/query_status"),
                          "query_success")["29"]["state"] == "CANCELLED"
    assert len(job_look_ups(slurm)) == before


def test_a_job_written_here_but_submitted_before_the_window_is_left_out(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    assert_success(client.post("/hpcapi/submit_job",
                               json={"partition": "quick", "script-body": SCRIPT}), "42")
    slurm.answer_json("GET", live_job_path(V38, 42), jobs_answer(
        live_record(job_id=42, submit_time=NOW_38 - 5 * 3600 - 1)))
    body = assert_success(client.get("/hpcapi/query_status?hours=5"), "query_success")
    assert list(body) == ["status", "reason"]


def test_jobs_written_for_another_user_are_not_looked_up(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    response = client.post("/hpcapi/submit_job", json={"partition": "quick",
                                                       "script-body": SCRIPT},
                           principal="bob@HPCAPI.TEST")
    assert_success(response, "42")
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert list(body) == ["status", "reason"]
    assert job_look_ups(slurm) == []


def test_job_ids_are_in_numeric_order(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(job_id=100), accounting_record(job_id=9), accounting_record(job_id=10)))
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert list(body) == ["status", "9", "10", "100", "reason"]


def test_history_is_asked_as_the_caller_for_their_group_and_window(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert db_query(slurm) == {"submit_time": ["now-86400seconds"], "skip_steps": ["true"],
                               "groups": ["1001"]}
    (sent,) = slurm.requests_to(P["accounting_jobs"])
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"


@pytest.mark.parametrize(("hours", "asked"), [
    ("1", "now-3600seconds"), ("5", "now-18000seconds"), ("168", "now-604800seconds"),
    ("007", "now-25200seconds"),
])
def test_hours_sets_the_window(client: FlaskClient, slurm: FakeSlurmrestd, hours: str,
                               asked: str) -> None:
    assert_success(client.get(f"/hpcapi/query_status?hours={hours}"), "query_success")
    assert db_query(slurm)["submit_time"] == [asked]


@pytest.mark.parametrize("hours", ["0", "169", "-1", "abc", "1.5", "", " 5", "+5", "5h", "٣",
                                   "99999999999999999999"])
def test_hours_out_of_bounds_is_400(client: FlaskClient, slurm: FakeSlurmrestd,
                                    hours: str) -> None:
    body = assert_failure(client.get("/hpcapi/query_status", query_string={"hours": hours}),
                          400, "bad_parameter")
    assert body["message"] == "hours must be a whole number from 1 to 168"
    assert slurm.requests_to(P["accounting_jobs"]) == []
    assert slurm.requests_to(P["live_jobs"]) == []


def test_hours_bounds_follow_the_config(make_app: AppFactory, slurm: FakeSlurmrestd) -> None:
    client = make_app(make_server_config(history_default_hours=3,
                                         history_max_hours=10)).test_client()
    assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert db_query(slurm)["submit_time"] == ["now-10800seconds"]
    assert_success(client.get("/hpcapi/query_status?hours=10"), "query_success")
    body = assert_failure(client.get("/hpcapi/query_status?hours=11"), 400, "bad_parameter")
    assert "from 1 to 10" in body["message"]


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "answer"), [
    (200, {"jobs": [], **errors_answer(9000, "Unknown field users")}),
    (200, {"jobs": [], **errors_answer(1007, "Protocol authentication error")}),
    (500, errors_answer(9000, "Unable to query jobs")),
])
def test_slurmdbd_errors_are_502(client: FlaskClient, slurm: FakeSlurmrestd, status: int,
                                 answer: dict[str, Any]) -> None:
    slurm.answer_json("GET", P["accounting_jobs"], answer, status=status)
    body = assert_failure(client.get("/hpcapi/query_status"), 502, "backend_query_failed")
    assert answer["errors"][0]["error"] in body["message"]


def test_slurmdbd_nothing_found_is_no_jobs(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_json("GET", P["accounting_jobs"],
                      {"jobs": [], **errors_answer(9003, "Nothing found with query")})
    body = assert_success(client.get("/hpcapi/query_status"), "query_success")
    assert list(body) == ["status", "reason"]


@pytest.mark.parametrize(("exc", "status", "reason"), [
    (ConnectFailed, 503, "backend_unavailable"),
    (ReadTimedOut, 504, "backend_timeout"),
])
def test_transport_failures(
    client: FlaskClient, slurm: FakeSlurmrestd,
    exc: type[TransportError], status: int, reason: str,
) -> None:
    slurm.fail("GET", P["accounting_jobs"], exc)
    assert_failure(client.get("/hpcapi/query_status"), status, reason)


def test_a_failed_look_up_of_a_job_written_here_is_an_outage(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    assert_success(client.post("/hpcapi/submit_job",
                               json={"partition": "quick", "script-body": SCRIPT}), "42")
    slurm.fail("GET", live_job_path(V38, 42), ConnectFailed)
    assert_failure(client.get("/hpcapi/query_status"), 503, "backend_unavailable")


def test_a_list_answer_cut_off_is_503(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_cut("GET", P["accounting_jobs"], b'{"jobs": [', ExchangeBroken("reset"))
    assert_failure(client.get("/hpcapi/query_status"), 503, "backend_unavailable")


def test_malformed_json_from_slurmdbd_is_502(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    slurm.answer_text("GET", P["accounting_jobs"], '{"jobs": [}', content_type="application/json")
    assert_failure(client.get("/hpcapi/query_status"), 502, "backend_query_failed")


# --- Slurm 25.11 (v0.0.44) ----------------------------------------------------------------------


SUBMITTED_44 = 1796160083
P44 = paths(V44)


@pytest.fixture
def client44(make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd,
             clock: list[float]) -> FlaskClient:
    clock[0] = SUBMITTED_44 + 600
    serve_v0044(fake_slurmrestd)
    fake_slurmrestd.answer_json("GET", P44["accounting_jobs"], recorded(V44, "accounting"))
    return make_app().test_client()


def test_v0_0_44_recorded_history(client44: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    body = assert_success(client44.get("/hpcapi/query_status?hours=2"), "query_success")
    kinds = recorded(V44, "accounting")["kinds"]
    assert list(body) == ["status", *map(str, sorted(kinds.values())), "reason"]
    assert body[str(kinds["failed"])] == {
        "user": "alice", "name": "rec-failed", "partition": "quick",
        "start": "2026-12-01T21:21:23Z", "end": "2026-12-01T21:21:24Z", "state": "FAILED",
        "submit": "2026-12-01T21:21:23Z", "exit_code": 3,  # 25.11's accounting has it right
        "reason": None,
    }
    assert body[str(kinds["held"])]["state"] == "PENDING"
    query = db_query(fake_slurmrestd, P44["accounting_jobs"])
    assert query == {"users": ["alice"], "start_time": [str(SUBMITTED_44 + 600 - 2 * 3600)],
                     "usage_time_as_submit_time": ["true"], "skip_steps": ["true"]}
    # Only 22.05 needs slurmctld for exit codes.
    assert [r for r in fake_slurmrestd.requests if "/slurm/v0.0.44/job" in (r.path_url or "")] \
        == []


def test_v0_0_44_recorded_token_refusal_is_502_not_an_outage(client44: FlaskClient,
                                                             fake_slurmrestd: FakeSlurmrestd
                                                             ) -> None:
    # 25.11 answers HTTP 502 with error 7000 "authentication error" when slurmdbd refuses it.
    refused = recorded(V44, "errors")["accounting_jobs_bad_token"]
    fake_slurmrestd.answer_json("GET", P44["accounting_jobs"], refused["body"], refused["status"])
    body = assert_failure(client44.get("/hpcapi/query_status"), 502, "backend_query_failed")
    assert "JWT key" in body["message"]


def test_the_audit_line_says_what_the_request_asked_of_slurmrestd(
    client: FlaskClient, slurm: FakeSlurmrestd, caplog: pytest.LogCaptureFixture
) -> None:
    answer = jobs_answer(accounting_record(kind="held"), accounting_record(job_id=7, kind="held"))
    slurm.answer_json("GET", P["accounting_jobs"], answer)
    with caplog.at_level(logging.INFO, logger="hpcapi.audit"):
        assert_success(client.get("/hpcapi/query_status"), "query_success")
        client.get("/hpcapi/query_status?hours=x")  # refused before Slurm is asked
    asked, refused = [r.getMessage() for r in caplog.records if r.name == "hpcapi.audit"]
    sent = len(json.dumps(answer).encode())  # the fake's answer, as it sends it
    assert f" slurm_calls=1 slurm_bytes={sent} request_id=" in asked
    assert " slurm_calls=0 slurm_bytes=0 request_id=" in refused


def test_a_kept_answer_is_rendered_once_however_often_it_is_served(
    make_app: AppFactory, slurm: FakeSlurmrestd, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hpcapi.web.status as status

    rendered: list[int] = []

    def counting(job: Any, *args: Any) -> dict[str, Any]:
        rendered.append(job.job_id)
        return frce_job_entry(job, *args)

    monkeypatch.setattr(status, "frce_job_entry", counting)
    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(kind="held"), accounting_record(job_id=7, kind="held")))
    client = make_app(make_server_config(history_max_staleness=60.0)).test_client()
    bodies = [assert_success(client.get("/hpcapi/query_status"), "query_success")
              for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert len(rendered) == 2
    assert sorted(rendered) == sorted(int(k) for k in bodies[0] if k.isdigit())
    assert len(slurm.requests_to(P["accounting_jobs"])) == 1


def test_the_rendered_answer_is_byte_for_byte_what_success_makes(
    client: FlaskClient, slurm: FakeSlurmrestd
) -> None:
    from hpcapi.web.responses import success

    slurm.answer_json("GET", P["accounting_jobs"], jobs_answer(
        accounting_record(kind="held"), accounting_record(job_id=7, kind="held",
                                                          name="naïve \"quoted\"")))
    got = client.get("/hpcapi/query_status")
    entries = {k: v for k, v in got.get_json().items() if k.isdigit()}
    with client.application.app_context():
        assert got.get_data() == success("query_success", **entries).get_data()
    assert got.mimetype == "application/json"
