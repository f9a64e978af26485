"""Request ids and client addresses (hpcapi/web/audit.py): in every answer's X-Request-ID, in
failure bodies, and with the client's address as Apache saw it in the audit line."""

from __future__ import annotations

import logging
import re

import pytest
from conftest import REALM, FakeSlurmrestd
from flask.testing import FlaskClient

from tests.web_helpers import assert_failure, assert_success

ALICE = f"alice@{REALM}"


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "hpcapi.audit"]


def test_an_id_is_made_when_the_caller_gives_none(client: FlaskClient) -> None:
    first = client.get("/hpcapi/whoami", principal=ALICE)
    second = client.get("/hpcapi/whoami", principal=ALICE)
    assert_success(first, "whoami_success")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]


@pytest.mark.parametrize("given", ["pipeline-7:step.3", "XZ1aKn8AAQEAAAj5eCsAAAAB", "a" * 128,
                                   "Zm9v@bar-1"])
def test_a_well_formed_id_is_kept_in_the_header_and_a_failure_body(
        client: FlaskClient, given: str) -> None:
    ok = client.get("/hpcapi/whoami", principal=ALICE, headers={"X-Request-ID": given})
    assert ok.headers["X-Request-ID"] == given
    refused = client.get("/hpcapi/job/0", principal=ALICE, headers={"X-Request-ID": given})
    assert refused.get_json()["request_id"] == given
    assert_failure(refused, 404, "job_not_found")


@pytest.mark.parametrize("given", ["", "a" * 129, "two words", "x\ty", "<script>", "é", "a,b"])
def test_an_ill_formed_id_is_replaced(client: FlaskClient, given: str) -> None:
    answer = client.get("/hpcapi/job/0", principal=ALICE, headers={"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
    assert answer.get_json()["request_id"] == answer.headers["X-Request-ID"]


def test_a_refusal_before_identity_carries_the_id_too(client: FlaskClient) -> None:
    answer = client.get("/hpcapi/whoami", principal=None, headers={"X-Request-ID": "r-1"})
    assert answer.get_json()["request_id"] == "r-1"
    assert answer.status_code == 401


def test_the_audit_line_names_the_id_and_apaches_client_address_never_x_forwarded_for(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hpcapi.audit"):
        client.get("/hpcapi/whoami", principal=ALICE, headers={
            "X-Request-ID": "r-2", "X-Hpcapi-Client-Address": "192.0.2.7",
            "X-Forwarded-For": "203.0.113.9"})
        client.get("/hpcapi/whoami", principal=ALICE, headers={
            "X-Request-ID": "r-3", "X-Forwarded-For": "203.0.113.9"})
        client.get("/hpcapi/whoami", principal=ALICE, headers={
            "X-Request-ID": "r-4", "X-Hpcapi-Client-Address": "2001:db8::1"})
        client.get("/hpcapi/whoami", principal=ALICE, headers={
            "X-Request-ID": "r-5", "X-Hpcapi-Client-Address": "1.2.3.4 user=root"})
    lines = audit_lines(caplog)
    assert [line.split(" slurm_bytes=0 ")[1] for line in lines] == [
        "request_id=r-2 client=192.0.2.7", "request_id=r-3 client=-",
        "request_id=r-4 client=2001:db8::1", "request_id=r-5 client=-"]
    assert all("203.0.113.9" not in line for line in lines)
