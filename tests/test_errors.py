"""The error catalogue: one enum, documented in the README with its HTTP statuses."""

from __future__ import annotations

import re
from pathlib import Path

from hpcapi.errors import ErrorCode, HpcapiError

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_table() -> dict[str, int]:
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", README.read_text(), flags=re.M)
    return {code: int(status) for code, status in rows}


def test_every_code_is_in_the_readme_with_its_status():
    table = _readme_table()
    assert table == {code.code: code.http_status for code in ErrorCode}


def test_codes_are_unique_lowercase_names():
    names = [code.code for code in ErrorCode]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", name) for name in names)


def test_error_body_shape():
    body = HpcapiError(ErrorCode.BAD_PARTITION, "no such partition").to_body()
    assert body == {
        "status": "call_failure",
        "reason": "bad_partition",
        "message": "no such partition",
    }
    assert HpcapiError(ErrorCode.BACKEND_TIMEOUT).to_body()["message"]
