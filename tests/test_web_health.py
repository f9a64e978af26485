"""Tests for GET /hpcapi/health (hpcapi/web/health.py): public, no user data, 503 when
slurmrestd cannot be reached."""

from __future__ import annotations

import logging

import pytest
from conftest import REALM, AppFactory, FakeSlurmrestd
from flask.testing import FlaskClient

from hpcapi.slurm.transport import ConnectFailed, ConnectTimedOut, ReadTimedOut, TransportError
from tests.slurm_answers import V44, paths, recorded, serve_v0044
from tests.web_helpers import assert_failure, assert_success

PING = paths("v0.0.38")["ping"]


@pytest.mark.parametrize("principal", [None, f"alice@{REALM}", f"root@{REALM}", "garbage"])
def test_health_is_public(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd,
                          principal: str | None) -> None:
    body = assert_success(client.get("/hpcapi/health", principal=principal), "healthy")
    assert list(body) == ["status", "backend", "reason"]
    assert set(body["backend"]) == {"reachable", "api_version", "latency_ms"}
    assert body["backend"]["reachable"] is True
    assert body["backend"]["api_version"] == "v0.0.38"
    assert isinstance(body["backend"]["latency_ms"], int | float)


def test_health_pings_as_the_unprivileged_probe_user(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    client.get("/hpcapi/health", principal=None)
    (sent,) = fake_slurmrestd.requests_to(PING)
    assert sent.headers["X-SLURM-USER-NAME"] == "nobody"


def test_health_is_audited_without_a_caller(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hpcapi.audit"):
        client.get("/hpcapi/health", principal=f"alice@{REALM}")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "hpcapi.audit"]
    assert line.startswith("principal=- user=- method=GET path=/hpcapi/health status=200")


@pytest.mark.parametrize(("exc", "status", "reason"), [
    (ConnectFailed, 503, "backend_unavailable"),
    (ConnectTimedOut, 503, "backend_unavailable"),
    (ReadTimedOut, 504, "backend_timeout"),
])
def test_health_when_slurmrestd_is_down(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd,
    exc: type[TransportError], status: int, reason: str,
) -> None:
    fake_slurmrestd.fail("GET", PING, exc)
    assert_failure(client.get("/hpcapi/health", principal=None), status, reason)


def test_health_when_slurmrestd_was_down_at_start_up(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.fail("GET", "/openapi/v3", ConnectFailed)
    client = make_app().test_client()
    assert_failure(client.get("/hpcapi/health", principal=None), 503, "backend_unavailable")


def test_health_when_slurmctld_is_down_behind_slurmrestd(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", PING, {"errors": [
        {"error_number": 1800, "error": "Unable to contact slurm controller"}]}, status=500)
    assert_failure(client.get("/hpcapi/health", principal=None), 503, "backend_unavailable")


def test_health_v0_0_44(make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd) -> None:
    serve_v0044(fake_slurmrestd)
    client = make_app().test_client()
    body = assert_success(client.get("/hpcapi/health", principal=None), "healthy")
    assert body["backend"]["api_version"] == V44
    refused = recorded(V44, "errors")["ping_bad_token"]
    fake_slurmrestd.answer_json("GET", paths(V44)["ping"], refused["body"], refused["status"])
    assert_failure(client.get("/hpcapi/health", principal=None), 502, "backend_query_failed")


# --- /hpcapi/health/live and /hpcapi/health/ready ------------------------------------------------


@pytest.mark.parametrize("principal", [None, f"alice@{REALM}"])
def test_live_answers_without_asking_slurm(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, principal: str | None
) -> None:
    fake_slurmrestd.fail("GET", PING, ConnectFailed)
    asked = len(fake_slurmrestd.requests)
    body = assert_success(client.get("/hpcapi/health/live", principal=principal), "alive")
    assert body == {"status": "call_success", "reason": "alive"}
    assert len(fake_slurmrestd.requests) == asked


def test_live_answers_even_when_slurmrestd_was_down_at_start_up(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.fail("GET", "/openapi/v3", ConnectFailed)
    client = make_app().test_client()
    assert_success(client.get("/hpcapi/health/live", principal=None), "alive")
    assert_failure(client.get("/hpcapi/health/ready", principal=None), 503, "backend_unavailable")


def test_ready_pings_slurm_as_the_probe_user(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    body = assert_success(client.get("/hpcapi/health/ready", principal=None), "ready")
    assert body["backend"]["api_version"] == "v0.0.38"
    (sent,) = fake_slurmrestd.requests_to(PING)
    assert sent.headers["X-SLURM-USER-NAME"] == "nobody"
    fake_slurmrestd.fail("GET", PING, ConnectFailed)
    assert_failure(client.get("/hpcapi/health/ready", principal=None), 503, "backend_unavailable")
    assert_success(client.get("/hpcapi/health/live", principal=None), "alive")


@pytest.mark.parametrize("path", ["/hpcapi/health/live", "/hpcapi/health/ready"])
def test_probes_are_get_only(client: FlaskClient, path: str) -> None:
    assert_failure(client.post(path, principal=None), 405, "method_not_allowed")
