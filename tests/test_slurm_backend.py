"""Tests for hpcapi.slurm.backend: detecting the API version, and the calls per version."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from conftest import JWT_KEY, PING_BODY, SLURMRESTD_URL, FakeSlurmrestd, openapi_spec

from hpcapi.model import Identity, JobDescription
from hpcapi.slurm.backend import SlurmBackend
from hpcapi.slurm.client import SlurmrestClient
from hpcapi.slurm.errors import (
    SlurmrestAuthError,
    SlurmrestRejectedError,
    SlurmrestUnavailableError,
    SlurmrestVersionError,
)
from hpcapi.slurm.token import TokenMinter
from hpcapi.slurm.transport import ConnectFailed

PROBE = Identity("", "nobody", 65534, 65534, "/nonexistent", "/usr/sbin/nologin")
ALICE = Identity("alice@HPCAPI.TEST", "alice", 1001, 1001, "/home/alice", "/bin/bash")
PING = "/slurm/v0.0.38/ping"


def make_backend(transport: FakeSlurmrestd, configured: str = "auto",
                 max_parallel_lists: int = 2) -> SlurmBackend:
    client = SlurmrestClient(
        SLURMRESTD_URL, TokenMinter(JWT_KEY, 60, min_uid=1000), timeout=2.0, transport=transport
    )
    return SlurmBackend(client, configured, PROBE, max_parallel_lists)


# --- detection ----------------------------------------------------------------------------------


def test_detect_version_asks_the_openapi_document_as_the_probe_user(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    backend = make_backend(slurm_transport)
    assert backend.detect_version() == "v0.0.38"
    (sent,) = fake_slurmrestd.requests_to("/openapi/v3")
    assert sent.headers["X-SLURM-USER-NAME"] == "nobody"
    claims = jwt.decode(sent.headers["X-SLURM-USER-TOKEN"], JWT_KEY, algorithms=["HS256"])
    assert claims["sun"] == "nobody"


def test_detect_version_refuses_a_configured_version_the_server_lacks(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.40", "v0.0.41"))
    with pytest.raises(SlurmrestVersionError, match="offers v0.0.40, v0.0.41"):
        make_backend(slurm_transport, "v0.0.38").detect_version()


def test_api_version_is_detected_once(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    backend = make_backend(slurm_transport)
    assert backend.api_version == "v0.0.38"
    assert backend.api_version == "v0.0.38"
    assert len(fake_slurmrestd.requests_to("/openapi/v3")) == 1


# --- ping ---------------------------------------------------------------------------------------


def test_ping_reports_version_latency_and_controllers(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    result = make_backend(slurm_transport).ping(ALICE)
    assert set(result) == {"api_version", "latency_ms", "controllers"}
    assert result["api_version"] == "v0.0.38"
    assert isinstance(result["latency_ms"], float) and result["latency_ms"] >= 0
    assert result["controllers"] == [{"hostname": "vm", "status": "UP"}]
    (sent,) = fake_slurmrestd.requests_to(PING)
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"


def test_ping_detects_the_version_first_when_start_up_could_not(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    backend = make_backend(slurm_transport)
    fake_slurmrestd.fail("GET", "/openapi/v3", ConnectFailed)
    with pytest.raises(SlurmrestUnavailableError):
        backend.ping(ALICE)
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.38"))
    assert backend.ping(ALICE)["api_version"] == "v0.0.38"


def test_ping_with_two_controllers_and_odd_entries(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    body = {
        "errors": [],
        "pings": [
            {"hostname": "ctl1", "ping": "UP", "status": 0, "mode": "primary"},
            "garbage",
            {"hostname": "ctl2", "ping": "DOWN", "status": -1, "mode": "backup"},
        ],
    }
    fake_slurmrestd.answer_json("GET", PING, body)
    assert make_backend(slurm_transport).ping(ALICE)["controllers"] == [
        {"hostname": "ctl1", "status": "UP"},
        {"hostname": "ctl2", "status": "DOWN"},
    ]


def test_ping_without_pings_has_no_controllers(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", PING, {"errors": [], "pings": None})
    assert make_backend(slurm_transport).ping(ALICE)["controllers"] == []


def test_ping_raises_on_errors_in_a_200_answer(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    errors = [{"error_number": 1007, "error": "Protocol authentication error"}]
    fake_slurmrestd.answer_json("GET", PING, {**PING_BODY, "errors": errors})
    with pytest.raises(SlurmrestRejectedError) as caught:
        make_backend(slurm_transport).ping(ALICE)
    assert caught.value.slurm_errors == errors
    assert caught.value.message == "Protocol authentication error [slurm error 1007]"


def test_ping_raises_on_a_500_with_errors(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # What an expired or badly signed token gets (NOTES.md 2e).
    errors = [
        {
            "description": "slurmctld config is unable to load",
            "error_number": -1,
            "error": "Unspecified error",
            "source": "slurm_load_ctl_conf",
        }
    ]
    fake_slurmrestd.answer_json("GET", PING, {"errors": errors}, status=500)
    with pytest.raises(SlurmrestRejectedError, match="slurmctld config is unable to load"):
        make_backend(slurm_transport).ping(ALICE)


# --- Slurm 23.11+ (v0.0.40-v0.0.44) ---------------------------------------------------------------

V44_PING = "/slurm/v0.0.44/ping/"


def backend_v0044(
    transport: FakeSlurmrestd, fake: FakeSlurmrestd, configured: str = "auto"
) -> SlurmBackend:
    fake.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.42", "v0.0.43", "v0.0.44"))
    backend = make_backend(transport, configured)
    backend.detect_version()
    return backend


def nv(number: int) -> dict[str, object]:
    return {"set": True, "infinite": False, "number": number}


def test_detect_version_on_slurm_25_11(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    assert backend_v0044(slurm_transport, fake_slurmrestd).api_version == "v0.0.44"
    assert backend_v0044(slurm_transport, fake_slurmrestd, "v0.0.42").api_version == "v0.0.42"


def test_ping_v0_0_44(slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd) -> None:
    body = {"pings": [{"hostname": "vm", "pinged": "UP", "responding": True, "latency": 533,
                       "mode": "primary", "primary": True}], "errors": [], "warnings": []}
    fake_slurmrestd.answer_json("GET", V44_PING, body)
    result = backend_v0044(slurm_transport, fake_slurmrestd).ping(ALICE)
    assert result["api_version"] == "v0.0.44"
    assert result["controllers"] == [{"hostname": "vm", "status": "UP"}]


def test_ping_v0_0_44_not_responding_is_a_failure(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # 25.11 answers a refused token with 200, pinged DOWN, responding false (REST-25.11.md).
    body = {"pings": [{"hostname": "vm", "pinged": "DOWN", "responding": False}], "errors": []}
    fake_slurmrestd.answer_json("GET", V44_PING, body)
    with pytest.raises(SlurmrestAuthError, match="no responding slurmctld"):
        backend_v0044(slurm_transport, fake_slurmrestd).ping(ALICE)


def test_ping_v0_0_44_with_one_controller_down_is_fine(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    body = {"pings": [{"hostname": "a", "pinged": "UP", "responding": True},
                      {"hostname": "b", "pinged": "DOWN", "responding": False}]}
    fake_slurmrestd.answer_json("GET", V44_PING, body)
    assert len(backend_v0044(slurm_transport, fake_slurmrestd).ping(ALICE)["controllers"]) == 2


def test_submit_v0_0_44_posts_to_its_path(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    answer = {"job_id": 5, "step_id": "batch", "errors": [], "warnings": []}
    fake_slurmrestd.answer_json("POST", "/slurm/v0.0.44/job/submit", answer)
    backend = backend_v0044(slurm_transport, fake_slurmrestd)
    job = JobDescription(script="#!/bin/sh\n", name="j", partition="norm",
                         working_directory="/home/alice", standard_output="/home/alice/o",
                         environment=(("PATH", "/bin"),))
    assert backend.submit(ALICE, job) == 5
    (sent,) = fake_slurmrestd.requests_to("/slurm/v0.0.44/job/submit")
    assert json.loads(sent.body or b"") == backend.submit_body(job)
    assert json.loads(sent.body or b"")["job"]["environment"] == ["PATH=/bin"]


def test_live_job_v0_0_44_nonexistent_is_none(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    errors = [{"description": "Invalid job id specified", "error_number": 2017,
               "error": "Invalid job id specified", "source": "_handle_job_get"}]
    fake_slurmrestd.answer_json("GET", "/slurm/v0.0.44/job/99", {"errors": errors}, status=404)
    assert backend_v0044(slurm_transport, fake_slurmrestd).live_job(ALICE, 99) is None


def test_live_job_v0_0_44_reads_the_record(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    record = {"job_id": 7, "user_name": "alice", "name": "n", "partition": "norm",
              "job_state": ["FAILED"], "state_reason": "NonZeroExitCode",
              "submit_time": nv(100), "start_time": nv(110), "end_time": nv(120),
              "exit_code": {"status": ["ERROR"], "return_code": nv(3)}}
    fake_slurmrestd.answer_json("GET", "/slurm/v0.0.44/job/7", {"jobs": [record]})
    job = backend_v0044(slurm_transport, fake_slurmrestd).live_job(ALICE, 7)
    assert job is not None
    assert (job.state, job.exit_code, job.end_time, job.source) == ("FAILED", 3, 120, "live")


def test_live_jobs_v0_0_44_keeps_only_the_users_jobs(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    records = [{"job_id": 1, "user_name": "alice", "job_state": ["RUNNING"]},
               {"job_id": 2, "user_name": "bob", "job_state": ["RUNNING"]},
               {"user_name": "alice", "job_state": ["RUNNING"]}]
    fake_slurmrestd.answer_json("GET", "/slurm/v0.0.44/jobs/", {"jobs": records})
    jobs = backend_v0044(slurm_transport, fake_slurmrestd).live_jobs(ALICE)
    assert [job.job_id for job in jobs] == [1]


def test_accounting_jobs_v0_0_44_filters_by_user_and_submit_time(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hpcapi.slurm.backend.time.time", lambda: 1_000_000.0)
    body = {"jobs": [{"job_id": 3, "user": "alice", "state": {"current": ["COMPLETED"]},
                      "time": {"submission": 999_000, "start": 999_100, "end": 999_200},
                      "exit_code": {"status": ["SUCCESS"], "return_code": nv(0)}},
                     {"job_id": 4, "user": "bob", "state": {"current": ["COMPLETED"]}}],
            "errors": [], "warnings": [{"description": "nothing", "source": "x"}]}
    fake_slurmrestd.answer_json("GET", "/slurmdb/v0.0.44/jobs/", body)
    jobs = backend_v0044(slurm_transport, fake_slurmrestd).accounting_jobs(ALICE, 7200)
    assert [(job.job_id, job.exit_code, job.source) for job in jobs] == [(3, 0, "accounting")]
    (sent,) = fake_slurmrestd.requests_to("/slurmdb/v0.0.44/jobs/")
    assert parse_qs(urlsplit(sent.url or "").query) == {
        "users": ["alice"],
        "start_time": [str(1_000_000 - 7200)],
        "usage_time_as_submit_time": ["true"],
        "skip_steps": ["true"],
    }


def test_accounting_jobs_v0_0_38_keeps_its_filter(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    nothing = [{"description": "Nothing found", "error_number": 9003}]
    fake_slurmrestd.answer_json("GET", "/slurmdb/v0.0.38/jobs", {"jobs": [], "errors": nothing})
    assert make_backend(slurm_transport).accounting_jobs(ALICE, 86_400) == []
    (sent,) = fake_slurmrestd.requests_to("/slurmdb/v0.0.38/jobs")
    assert parse_qs(urlsplit(sent.url or "").query) == {
        "submit_time": ["now-86400seconds"], "skip_steps": ["true"], "groups": ["1001"]
    }


def test_accounting_job_v0_0_44_unknown_is_none(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    body = {"jobs": [], "errors": [], "warnings": [{"description": "Nothing found"}]}
    fake_slurmrestd.answer_json("GET", "/slurmdb/v0.0.44/job/5", body)
    assert backend_v0044(slurm_transport, fake_slurmrestd).accounting_job(ALICE, 5) is None


# --- bounded list fetches -----------------------------------------------------------------------


class SlowSlurmrestd(FakeSlurmrestd):
    """Answers after a pause, counting how many requests it serves at once."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.most_in_flight = 0
        self._guard = threading.Lock()

    def send(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        with self._guard:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.05)
            return super().send(*args, **kwargs)
        finally:
            with self._guard:
                self.in_flight -= 1


@pytest.mark.parametrize("slots", [1, 2])
def test_a_worker_fetches_at_most_max_parallel_lists_at_once(slots: int) -> None:
    slow = SlowSlurmrestd()
    slow.answer_json("GET", "/slurm/v0.0.38/jobs", {"jobs": [], "errors": []})
    slow.answer_json("GET", "/slurmdb/v0.0.38/jobs", {"jobs": [], "errors": []})
    slow.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.38"))
    backend = make_backend(slow, "v0.0.38", max_parallel_lists=slots)
    backend.detect_version()
    answers: list[object] = []
    calls = [lambda: backend.live_jobs(ALICE), lambda: backend.accounting_jobs(ALICE, 86_400)]
    threads = [threading.Thread(target=lambda i=i: answers.append(calls[i % 2]()))
               for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [[]] * 6
    assert slow.most_in_flight == slots
