"""Tests for the Flask layer (hpcapi/web): identity, whoami, ping, and the one error shape.

The app runs in the Flask test client over the fake slurmrestd and fake passwd of conftest; the
client sends the identity header as Apache would (conftest.ApacheClient).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
from conftest import JWT_KEY, REALM, AppFactory, FakeSlurmrestd, make_server_config, openapi_spec
from flask import Blueprint, Flask, request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hpcapi.slurm.errors import SlurmrestAuthError, SlurmrestVersionError
from hpcapi.web.responses import success

PING = "/slurm/v0.0.38/ping"
ERROR_KEYS = {"status", "reason", "message"}


def assert_failure(response: TestResponse, status: int, reason: str) -> dict[str, Any]:
    """The response is a call_failure with exactly the three keys, as JSON, with this status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.content_type == "application/json"
    body = response.get_json()
    assert isinstance(body, dict)
    assert set(body) == ERROR_KEYS
    assert body["status"] == "call_failure"
    assert body["reason"] == reason
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_blueprint() -> Blueprint:
    """Endpoints that exist only in these tests: a body reader and a view that crashes."""
    blueprint = Blueprint("testonly", __name__, url_prefix="/hpcapi/test-only")

    @blueprint.post("/echo")
    def echo() -> Any:
        return success("echo_success", size=len(request.get_data()))

    @blueprint.get("/crash")
    def crash() -> Any:
        raise RuntimeError("secret internal detail")

    return blueprint


test_blueprint.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def test_app(app: Flask) -> Flask:
    app.register_blueprint(test_blueprint())
    return app


@pytest.fixture
def test_client(test_app: Flask) -> FlaskClient:
    return test_app.test_client()


# --- whoami -------------------------------------------------------------------------------------


def test_whoami(client: FlaskClient) -> None:
    response = client.get("/hpcapi/whoami")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.get_json() == {
        "status": "call_success",
        "reason": "whoami_success",
        "principal": f"alice@{REALM}",
        "local_user": "alice",
        "uid": 1001,
    }


def test_whoami_for_a_mapped_service_principal(client: FlaskClient) -> None:
    body = client.get("/hpcapi/whoami", principal=f"svc-pipeline@{REALM}").get_json()
    assert (body["principal"], body["local_user"], body["uid"]) == (
        f"svc-pipeline@{REALM}", "pipeline", 1500,
    )


def test_whoami_without_the_header_is_401_negotiate(client: FlaskClient) -> None:
    response = client.get("/hpcapi/whoami", principal=None)
    assert_failure(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Negotiate"


def test_empty_header_is_401(client: FlaskClient) -> None:
    assert_failure(client.get("/hpcapi/whoami", principal=""), 401, "unauthenticated")


@pytest.mark.parametrize(
    "principal",
    [
        f"alice/admin@{REALM}",
        "alice@EVIL.TEST",
        f"root@{REALM}",
        f"lowuser@{REALM}",
        f"mallory@{REALM}",
        f"Alice@{REALM}",
        "(null)",
    ],
)
def test_refused_principals_are_403(client: FlaskClient, principal: str) -> None:
    response = client.get("/hpcapi/whoami", principal=principal)
    body = assert_failure(response, 403, "principal_not_allowed")
    assert "WWW-Authenticate" not in response.headers
    assert principal in body["message"]


def test_header_sent_twice_is_403(client: FlaskClient) -> None:
    headers = [("X-Remote-User", f"alice@{REALM}"), ("X-Remote-User", f"bob@{REALM}")]
    response = client.get("/hpcapi/whoami", principal=None, headers=headers)
    assert_failure(response, 403, "principal_not_allowed")


def test_header_sent_twice_with_the_same_value_is_403(client: FlaskClient) -> None:
    headers = [("X-Remote-User", f"alice@{REALM}"), ("X-Remote-User", f"alice@{REALM}")]
    response = client.get("/hpcapi/whoami", principal=None, headers=headers)
    assert_failure(response, 403, "principal_not_allowed")


def test_identity_header_name_comes_from_the_config(make_app: AppFactory) -> None:
    app = make_app(make_server_config(identity_header="X-Auth-Principal"))
    client = app.test_client()
    assert_failure(client.get("/hpcapi/whoami"), 401, "unauthenticated")
    response = client.get(
        "/hpcapi/whoami", principal=None, headers={"X-Auth-Principal": f"bob@{REALM}"}
    )
    assert response.get_json()["local_user"] == "bob"


# --- routing errors -----------------------------------------------------------------------------


def test_unknown_route_is_404_json(client: FlaskClient) -> None:
    assert_failure(client.get("/hpcapi/nope"), 404, "not_found")
    assert_failure(client.get("/"), 404, "not_found")


def test_post_to_whoami_is_405_json(client: FlaskClient) -> None:
    assert_failure(client.post("/hpcapi/whoami", json={}), 405, "method_not_allowed")
    assert_failure(client.delete("/hpcapi/ping"), 405, "method_not_allowed")


# --- request body limit -------------------------------------------------------------------------


def test_small_body_is_accepted(test_client: FlaskClient) -> None:
    response = test_client.post("/hpcapi/test-only/echo", data=b"x" * 4096)
    assert response.status_code == 200
    assert response.get_json()["size"] == 4096


def test_body_over_the_limit_with_content_length_is_413(test_client: FlaskClient) -> None:
    response = test_client.post("/hpcapi/test-only/echo", data=b"x" * 4097)
    body = assert_failure(response, 413, "postdata_too_big")
    assert "4096 bytes" in body["message"]


class ChunkedBody(io.RawIOBase):
    """A request body read from a generator, with no Content-Length (chunked upload)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.consumed += size
        return size


def chunks(total: int, size: int = 1000) -> Iterator[bytes]:
    while total > 0:
        yield b"y" * min(size, total)
        total -= size



@pytest.mark.parametrize(
    ("total", "status"),
    [
        (4096, 200),
        (4097, 413),
        (10**6, 413),
    ],
)
def test_chunked_body_is_counted_while_it_streams(
    test_client: FlaskClient, total: int, status: int
) -> None:
    stream = ChunkedBody(chunks(total))
    response = test_client.post(
        "/hpcapi/test-only/echo",
        # What gunicorn hands the app for a chunked upload: no Content-Length, and a stream
        # the server terminates (the test builder would otherwise measure the body).
        environ_overrides={
            "wsgi.input": stream,
            "wsgi.input_terminated": True,
            "HTTP_TRANSFER_ENCODING": "chunked",
        },
    )
    assert "CONTENT_LENGTH" not in response.request.environ
    assert response.status_code == status
    if status == 413:
        assert_failure(response, 413, "postdata_too_big")
        assert stream.consumed < 10_000  # refused while streaming, not after reading it all
    else:
        assert response.get_json()["size"] == total


def test_body_limit_follows_the_config(make_app: AppFactory) -> None:
    app = make_app(make_server_config(max_body_bytes=300))
    app.register_blueprint(test_blueprint())
    client = app.test_client()
    assert client.post("/hpcapi/test-only/echo", data=b"x" * 300).status_code == 200
    body = assert_failure(
        client.post("/hpcapi/test-only/echo", data=b"x" * 301), 413, "postdata_too_big"
    )
    assert "300 bytes" in body["message"]


def test_unauthenticated_caller_is_refused_before_the_body_is_read(
    test_client: FlaskClient,
) -> None:
    response = test_client.post("/hpcapi/test-only/echo", data=b"x" * 5000, principal=None)
    assert_failure(response, 401, "unauthenticated")


# --- unexpected errors --------------------------------------------------------------------------


def test_unexpected_exception_is_500_json_without_details(
    test_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="hpcapi"):
        response = test_client.get("/hpcapi/test-only/crash")
    body = assert_failure(response, 500, "internal_error")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert body["message"] == "an unexpected error inside hpcapi"
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


# --- ping ---------------------------------------------------------------------------------------


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
        (requests.exceptions.ConnectionError, 503, "backend_unavailable"),
        (requests.exceptions.ConnectTimeout, 503, "backend_unavailable"),
        (requests.exceptions.ReadTimeout, 504, "backend_timeout"),
    ],
)
def test_ping_transport_failures(
    client: FlaskClient,
    fake_slurmrestd: FakeSlurmrestd,
    exc: type[requests.exceptions.RequestException],
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


# --- start-up -----------------------------------------------------------------------------------


def test_start_up_detects_the_version_as_nobody(
    app: Flask, fake_slurmrestd: FakeSlurmrestd
) -> None:
    (sent,) = fake_slurmrestd.requests_to("/openapi/v3")
    assert sent.headers["X-SLURM-USER-NAME"] == "nobody"
    assert app.extensions["hpcapi"].backend.api_version == "v0.0.38"


def test_start_up_without_detection_makes_no_call(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    make_app(detect_version=False)
    assert fake_slurmrestd.requests == []


def test_start_up_with_slurmrestd_down_then_ping_works_when_it_is_back(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.fail("GET", "/openapi/v3", requests.exceptions.ConnectionError)
    client = make_app().test_client()
    assert_failure(client.get("/hpcapi/ping"), 503, "backend_unavailable")
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.38"))
    response = client.get("/hpcapi/ping")
    assert response.status_code == 200
    assert response.get_json()["backend"]["api_version"] == "v0.0.38"


def test_start_up_stops_on_a_version_mismatch(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.39", "v0.0.45"))
    with pytest.raises(SlurmrestVersionError, match="none in common"):
        make_app()


def test_start_up_stops_when_slurmrestd_refuses_the_key(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_text("GET", "/openapi/v3", "Authentication failure", 401)
    with pytest.raises(SlurmrestAuthError):
        make_app()
