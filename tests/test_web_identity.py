"""Tests for the caller's identity in the Flask layer (hpcapi/web/identity.py, whoami.py).

The app runs in the Flask test client over the fake slurmrestd and fake passwd of conftest; the
client sends the identity header as Apache would (conftest.ApacheClient).
"""

from __future__ import annotations

import logging

import pytest
from conftest import REALM, AppFactory, FakeSlurmrestd, make_server_config
from flask.testing import FlaskClient

from tests.web_helpers import assert_failure

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


def test_whoami_keys_come_in_frce_order(client: FlaskClient) -> None:
    body = client.get("/hpcapi/whoami").get_json()
    assert list(body) == ["status", "principal", "local_user", "uid", "reason"]


def test_whoami_for_a_mapped_service_principal(client: FlaskClient) -> None:
    body = client.get("/hpcapi/whoami", principal=f"svc-pipeline@{REALM}").get_json()
    assert (body["principal"], body["local_user"], body["uid"]) == (
        f"svc-pipeline@{REALM}", "pipeline", 1500,
    )


def test_whoami_needs_no_slurmrestd(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    before = len(fake_slurmrestd.requests)
    assert client.get("/hpcapi/whoami").status_code == 200
    assert len(fake_slurmrestd.requests) == before


# --- the identity header ------------------------------------------------------------------------


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


def test_every_endpoint_but_the_public_ones_needs_an_identity(client: FlaskClient) -> None:
    for method, path in [
        ("GET", "/hpcapi/ping"),
        ("POST", "/hpcapi/submit_job"),
        ("GET", "/hpcapi/query_status"),
        ("GET", "/hpcapi/job/26"),
        ("DELETE", "/hpcapi/job/26"),
        ("POST", "/hpcapi/cancel_job"),
        ("GET", "/hpcapi/partitions"),
    ]:
        response = client.open(path, method=method, principal=None)
        assert_failure(response, 401, "unauthenticated")


# --- the audit line -----------------------------------------------------------------------------


def test_audit_line_names_the_caller_and_the_outcome(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hpcapi.audit"):
        client.get("/hpcapi/whoami")
        client.get("/hpcapi/whoami", principal=f"root@{REALM}")
    ok, refused = [r.getMessage() for r in caplog.records if r.name == "hpcapi.audit"]
    assert ok.startswith(f"principal=alice@{REALM} user=alice method=GET path=/hpcapi/whoami "
                         "status=200 reason=- ms=")
    assert refused.startswith("principal=- user=- method=GET path=/hpcapi/whoami status=403 "
                              "reason=principal_not_allowed ms=")
