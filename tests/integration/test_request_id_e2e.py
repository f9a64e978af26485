"""Request ids and client addresses through Apache: one id in the answer, hpcapi's audit line,
gunicorn's and Apache's access logs; the client's address as Apache saw it, never a header the
client wrote."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _log(stack, name: str) -> Path:
    return Path(stack["HPCAPI_DEV_STATE"]) / "log" / name


def _lines_with(path: Path, needle: str, seconds: float = 10) -> list[str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [line for line in path.read_text(errors="replace").splitlines() if needle in line]
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no line of {path} holds {needle!r} within {seconds} s")


def test_a_callers_request_id_is_in_the_answer_and_every_log(stack, api):
    given = f"e2e-{time.time_ns()}"
    answer = api("alice").get("job/1", headers={
        "X-Request-ID": given, "X-Forwarded-For": "203.0.113.9",
        "X-Hpcapi-Client-Address": "198.51.100.1"})
    assert answer.status_code == 404
    assert answer.headers["X-Request-ID"] == given
    assert answer.json()["request_id"] == given
    assert "gunicorn" not in answer.headers.get("Server", "")

    (audit,) = _lines_with(_log(stack, "gunicorn.log"), f"request_id={given} ")
    assert f"request_id={given} client=127.0.0.1" in audit
    assert "principal=alice@HPCAPI.TEST" in audit and "reason=job_not_found" in audit
    (access,) = _lines_with(_log(stack, "gunicorn-access.log"), given)
    # The address as Apache saw it, the time, the request line, the status, the id.
    assert re.fullmatch(r'127\.0\.0\.1 \[[^]]+\] "GET /hpcapi/job/1 HTTP/1\.[01]" 404 \d+ \d+ms '
                        + re.escape(given), access), access
    (apache,) = _lines_with(_log(stack, "apache-access.log"), given)
    assert apache.startswith("127.0.0.1 ") and apache.endswith(f" {given}")
    assert "203.0.113.9" not in audit + access and "198.51.100.1" not in audit + access


def test_an_ill_formed_request_id_is_replaced_by_one_hpcapi_makes(stack, api):
    answer = api("alice").get("whoami", headers={"X-Request-ID": "has spaces and <tags>"})
    assert answer.status_code == 200
    made = answer.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    _lines_with(_log(stack, "gunicorn.log"), f"request_id={made} client=127.0.0.1")
