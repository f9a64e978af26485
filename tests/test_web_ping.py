"""Tests for GET /hpcapi/ping (hpcapi/web/ping.py): slurmrestd reached with the caller's token,
and every way that can fail."""

from __future__ import annotations

import jwt
import pytest
from conftest import JWT_KEY, REALM, AppFactory, FakeSlurmrestd
from flask.testing import FlaskClient

from hpcapi.slurm.transport import ConnectFailed, ConnectTimedOut, ReadTimedOut, TransportError
from tests.slurm_answers import V44, paths, recorded, serve_v0044
from tests.web_helpers import assert_failure

PING = "/slurm/v0.0.38/ping"


def test_ping(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    response = client.get("/hpcapi/ping")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "call_success"
    assert body["reason"] == "ping_success"
    assert body["backend"]["reachable"] is True
    assert body["backend"]["api_version"] == "v0.0.38"
    assert body["backend"]["controllers"] == [{"hostname": "vm", "status": "UP"}]
    assert isinstance(body["backend"]["latency_ms"], int | float)


def test_ping_calls_slurmrestd_as_the_caller(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    client.get("/hpcapi/ping", principal=f"svc-pipeline@{REALM}")
    (sent,) = fake_slurmrestd.requests_to(PING)
    assert sent.headers["X-SLURM-USER-NAME"] == "pipeline"
    claims = jwt.decode(sent.headers["X-SLURM-USER-TOKEN"], JWT_KEY, algorithms=["HS256"])
    assert claims["sun"] == "pipeline"
    assert claims["exp"] - claims["iat"] <= 60


def test_refused_caller_never_reaches_slurmrestd(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    for principal in (None, f"root@{REALM}", f"alice/admin@{REALM}"):
        assert client.get("/hpcapi/ping", principal=principal).status_code in (401, 403)
    assert fake_slurmrestd.requests_to(PING) == []


@pytest.mark.parametrize(
    ("exc", "status", "reason"),
    [
        (ConnectFailed, 503, "backend_unavailable"),
        (ConnectTimedOut, 503, "backend_unavailable"),
        (ReadTimedOut, 504, "backend_timeout"),
    ],
)
def test_ping_transport_failures(
    client: FlaskClient,
    fake_slurmrestd: FakeSlurmrestd,
    exc: type[TransportError],
    status: int,
    reason: str,
) -> None:
    fake_slurmrestd.fail("GET", PING, exc)
    assert_failure(client.get("/hpcapi/ping"), status, reason)


@pytest.mark.parametrize(
    ("answer", "status", "reason"),
    [
        ((503, "text/html", "<html>Service Unavailable</html>"), 503, "backend_unavailable"),
        ((504, "text/html", "<html>Gateway Timeout</html>"), 504, "backend_timeout"),
        ((401, "text/plain", "Authentication failure"), 502, "backend_query_failed"),
        ((200, "text/html", "<html></html>"), 502, "backend_query_failed"),
        ((500, "text/plain", "Unable to parse query."), 502, "backend_query_failed"),
    ],
)
def test_ping_bad_answers(
    client: FlaskClient,
    fake_slurmrestd: FakeSlurmrestd,
    answer: tuple[int, str, str],
    status: int,
    reason: str,
) -> None:
    code, content_type, text = answer
    fake_slurmrestd.answer_text("GET", PING, text, code, content_type)
    assert_failure(client.get("/hpcapi/ping"), status, reason)


def test_ping_slurm_error_message_reaches_the_caller(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    errors = [{"description": "slurmctld config is unable to load", "error_number": -1,
               "error": "Unspecified error", "source": "slurm_load_ctl_conf"}]
    fake_slurmrestd.answer_json("GET", PING, {"errors": errors}, status=500)
    body = assert_failure(client.get("/hpcapi/ping"), 502, "backend_query_failed")
    assert "slurmctld config is unable to load" in body["message"]


# --- Slurm 25.11 (v0.0.44) ----------------------------------------------------------------------


def test_ping_v0_0_44(make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd) -> None:
    serve_v0044(fake_slurmrestd)
    body = make_app().test_client().get("/hpcapi/ping").get_json()
    assert body["reason"] == "ping_success"
    assert body["backend"]["api_version"] == V44
    assert body["backend"]["controllers"] == [{"hostname": "vm", "status": "UP"}]


def test_ping_v0_0_44_with_a_refused_token_is_a_failure(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # Slurm 25.11 answers a token it refuses with 200 and no responding controller (recorded).
    serve_v0044(fake_slurmrestd)
    refused = recorded(V44, "errors")["ping_bad_token"]
    fake_slurmrestd.answer_json("GET", paths(V44)["ping"], refused["body"], refused["status"])
    body = assert_failure(make_app().test_client().get("/hpcapi/ping"), 502,
                          "backend_query_failed")
    assert "JWT key" in body["message"]
