"""Apache's own refusals through the production apache/hpcapi.conf: each in hpcapi's JSON shape
with a code of its catalogue; no Server header but "Apache"; HSTS on every answer."""

from __future__ import annotations

import json
import socket
import ssl

import pytest

from hpcapi.errors import ErrorCode
from tests.integration.conftest import curl

pytestmark = pytest.mark.e2e


def assert_json_refusal(status: int, headers: dict[str, str], body: str, expected: int,
                        reason: str) -> None:
    assert status == expected, body[:300]
    assert headers["content-type"].split(";")[0] == "application/json"
    answer = json.loads(body)
    assert (answer["status"], answer["reason"]) == ("call_failure", reason)
    assert ErrorCode[reason.upper()].http_status == expected


@pytest.mark.parametrize(("args", "path", "status", "reason"), [
    ((), "job/%00", 404, "not_found"),  # Apache refuses an encoded NUL itself
    (("-X", "TRACE"), "health", 405, "method_not_allowed"),  # TraceEnable Off
    ((), "health?" + "a" * 9000, 414, "uri_too_long"),  # LimitRequestLine 8190
    (("-H", "X-Big: " + "a" * 9000), "health", 400, "bad_request"),  # LimitRequestFieldSize
])
def test_apache_s_own_refusals_are_json(stack, kinit, args, path, status, reason):
    result = curl(stack, path, kinit("alice"), *args)
    assert_json_refusal(result.status, result.headers, result.body, status, reason)
    assert result.headers["strict-transport-security"] == "max-age=31536000"


def test_a_malformed_request_gets_a_json_400(stack):
    context = ssl.create_default_context(cafile=stack["CURL_CA_BUNDLE"])
    with context.wrap_socket(socket.create_connection(("localhost", 8443), timeout=10),
                             server_hostname="localhost") as conn:
        conn.sendall(b"GET /hpcapi/health HTTP/1.1\r\nHost: localhost:8443\r\n"
                     b"this is no header\r\n\r\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.decode().partition("\r\n\r\n")
    lines = head.split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    assert_json_refusal(int(lines[0].split()[1]), headers, body, 400, "bad_request")


def test_every_answer_names_apache_alone_and_asks_for_https(stack, kinit):
    for result in (curl(stack, "health"), curl(stack, "whoami"),
                   curl(stack, "whoami", kinit("alice"))):
        assert result.headers["server"] == "Apache"
        assert result.headers["strict-transport-security"] == "max-age=31536000"
