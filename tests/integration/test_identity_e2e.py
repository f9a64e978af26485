"""Identity end to end: real tickets through Apache + mod_auth_gssapi to hpcapi."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import gssapi
import pytest
import requests
from requests_gssapi import REQUIRED, HTTPSPNEGOAuth

from tests.integration.conftest import REALM, curl

pytestmark = pytest.mark.e2e


def test_curl_negotiate_as_alice_is_alice(stack, kinit):
    result = curl(stack, "whoami", kinit("alice"))
    assert result.status == 200
    body = result.json()
    assert body["status"] == "call_success"
    assert body["principal"] == f"alice@{REALM}"
    assert body["local_user"] == "alice"


def test_service_keytab_without_kinit_maps_to_pipeline(stack, tmp_path):
    # No kinit, no ccache on disk: the keytab alone, through gssapi's credential store.
    name = gssapi.Name(f"svc-pipeline@{REALM}", gssapi.NameType.kerberos_principal)
    store = {
        "client_keytab": f"{stack['HPCAPI_DEV_KEYTABS']}/svc-pipeline.keytab",
        "ccache": "MEMORY:svc-pipeline-test",
    }
    creds = gssapi.Credentials(name=name, usage="initiate", store=store)
    auth = HTTPSPNEGOAuth(creds=creds, mutual_authentication=REQUIRED)
    response = requests.get(
        f"{stack['HPCAPI_URL']}/whoami", auth=auth, verify=stack["REQUESTS_CA_BUNDLE"], timeout=30
    )
    assert response.status_code == 200
    assert response.json()["principal"] == f"svc-pipeline@{REALM}"
    assert response.json()["local_user"] == "pipeline"
    assert not list(tmp_path.iterdir())


def test_no_ticket_gets_401_negotiate_with_json(stack):
    # This request's own id: gunicorn's access log would end a line with it had it got there
    # (a count of lines would also see other tests' late requests).
    request_id = f"no-ticket-{uuid.uuid4().hex}"
    result = curl(stack, "whoami", None, "-H", f"X-Request-ID: {request_id}")
    assert result.status == 401
    assert result.headers["www-authenticate"] == "Negotiate"
    assert result.headers["content-type"].startswith("application/json")
    assert result.json()["status"] == "call_failure"
    assert result.json()["reason"] == "unauthenticated"
    time.sleep(0.5)  # gunicorn logs a request after answering it
    access = Path(stack["HPCAPI_DEV_STATE"]) / "log" / "gunicorn-access.log"
    assert request_id not in access.read_text(errors="replace")


def test_instance_principal_is_refused_with_403(stack, kinit):
    ticket = kinit("alice-admin", f"alice/admin@{REALM}")
    result = curl(stack, "whoami", ticket)
    assert result.status == 403
    assert result.json()["reason"] == "principal_not_allowed"
    assert result.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "forged",
    [
        "X-Remote-User: bob@HPCAPI.TEST",
        "x-remote-user: bob@HPCAPI.TEST",
        "X_Remote_User: bob@HPCAPI.TEST",
        "x_remote_user: bob@HPCAPI.TEST",
        "X-REMOTE-USER: bob@HPCAPI.TEST",
    ],
)
def test_identity_header_sent_by_client_is_ignored(stack, kinit, forged):
    result = curl(stack, "whoami", kinit("alice"), "-H", forged)
    assert result.status == 200
    assert result.json()["principal"] == f"alice@{REALM}"


def test_forged_header_without_ticket_is_still_401(stack):
    result = curl(stack, "whoami", None, "-H", "X-Remote-User: bob@HPCAPI.TEST")
    assert result.status == 401


def _socket_request(stack, user: str) -> subprocess.CompletedProcess:
    socket = Path(stack["HPCAPI_DEV_STATE"]) / "hpcapi" / "sock" / "gunicorn.sock"
    return subprocess.run(
        ["runuser", "-u", user, "--", "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
         "--unix-socket", str(socket), "-H", "X-Remote-User: bob@HPCAPI.TEST",
         "http://localhost/hpcapi/whoami"],
        capture_output=True, text=True,
    )


@pytest.mark.parametrize("user", ["alice", "bob", "nobody", "slurmrest"])
def test_other_local_users_cannot_reach_gunicorn_socket(stack, user):
    result = _socket_request(stack, user)
    assert result.returncode != 0
    assert result.stdout in ("", "000")
    assert "Permission denied" in result.stderr or "Failed to connect" in result.stderr


def test_apache_user_can_reach_gunicorn_socket(stack):
    # The positive control: the same request as www-data gets an HTTP answer.
    result = _socket_request(stack, "www-data")
    assert result.returncode == 0
    assert result.stdout == "200"


@pytest.mark.parametrize("chunked", [False, True])
def test_5kb_body_is_refused_by_apache_before_the_app(
    stack, kinit, tmp_path, gunicorn_requests, chunked
):
    ticket = kinit("alice")
    body = tmp_path / "body.json"
    body.write_text('{"script-body": "' + "x" * 5100 + '", "partition": "norm"}')
    extra = ["-H", "Transfer-Encoding: chunked"] if chunked else []
    before = gunicorn_requests()
    result = curl(
        stack, "submit_job", ticket, "-H", "Content-Type: application/json",
        *extra, "--data-binary", f"@{body}",
    )
    assert result.status == 413
    assert result.headers["content-type"].startswith("application/json")
    assert result.json()["reason"] == "postdata_too_big"
    assert gunicorn_requests() == before


def test_ping_as_alice_reaches_slurmrestd(stack, slurm_api, kinit):
    result = curl(stack, "ping", kinit("alice"))
    assert result.status == 200
    backend = result.json()["backend"]
    assert backend["reachable"] is True
    assert backend["api_version"] == slurm_api.newest
    assert backend["controllers"][0]["status"] == "UP"
