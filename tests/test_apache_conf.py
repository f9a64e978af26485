"""apache/hpcapi.conf against hpcapi's one catalogue of error codes (hpcapi/errors.py): each of
Apache's own answers is a JSON body with a code of the catalogue and that code's status, and
is sent as application/json."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hpcapi.errors import ErrorCode

# Apache answers 502 when it cannot connect to gunicorn's socket; that is hpcapi not running
# (service_unavailable, 503 when Apache itself says so), not Slurm failing (backend_query_failed).
APACHE_STATUS = {(502, "service_unavailable")}

CONF = (Path(__file__).resolve().parents[1] / "apache" / "hpcapi.conf").read_text()


def error_documents() -> dict[int, dict[str, str]]:
    found = re.findall(r"^\s*ErrorDocument (\d{3}) '(.*)'$", CONF, flags=re.MULTILINE)
    return {int(status): json.loads(body) for status, body in found}


def test_every_error_document_is_a_catalogued_code_with_its_status() -> None:
    documents = error_documents()
    assert {400, 401, 403, 404, 405, 408, 413, 414, 431, 500, 502, 503} <= set(documents)
    for status, body in documents.items():
        assert list(body) == ["status", "reason", "message"], status
        assert body["status"] == "call_failure"
        code = ErrorCode[body["reason"].upper()]
        assert code.http_status == status or (status, code.code) in APACHE_STATUS, body


def test_every_error_document_is_sent_as_json() -> None:
    typed: set[int] = set()
    for statuses in re.findall(r'Header always set Content-Type "application/json" "expr=(.*)"',
                               CONF):
        typed |= {int(status) for status in re.findall(r"'(\d{3})'", statuses)}
    assert typed == set(error_documents())
