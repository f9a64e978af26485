"""The job output request's parameters and the answer's shape, without any file."""

from __future__ import annotations

import pytest

from hpcapi.core.output import (
    DEFAULT_MAX_BYTES,
    OutputRequest,
    output_answer,
    parse_output_query,
    start_of,
)
from hpcapi.errors import ErrorCode, HpcapiError

CAP = 1024 * 1024


def test_defaults_and_forms() -> None:
    assert parse_output_query({}, CAP) == OutputRequest("stdout", 0, DEFAULT_MAX_BYTES, False)
    tail = parse_output_query({"stream": "stderr", "offset": "-4096", "max_bytes": "100",
                               "format": "raw"}, CAP)
    assert tail == OutputRequest("stderr", -4096, 100, True)
    assert parse_output_query({}, 1000).max_bytes == 1000  # never above the site's cap


@pytest.mark.parametrize("query", [
    {"stream": "stdin"}, {"format": "html"}, {"offset": "1.5"}, {"offset": "x"},
    {"max_bytes": "0"}, {"max_bytes": str(CAP + 1)}, {"max_bytes": "-1"}, {"path": "/etc/passwd"},
    {"offset": "٣"},  # a digit, but not an ASCII one
])  # fmt: skip
def test_bad_parameters_are_named(query: dict[str, str]) -> None:
    with pytest.raises(HpcapiError) as caught:
        parse_output_query(query, CAP)
    assert caught.value.code is ErrorCode.BAD_PARAMETER


def test_where_a_read_starts() -> None:
    assert start_of(OutputRequest(offset=10), 100) == 10
    assert start_of(OutputRequest(offset=500), 100) == 100  # past the end: nothing to read
    assert start_of(OutputRequest(offset=-30), 100) == 70
    assert start_of(OutputRequest(offset=-300), 100) == 0


def test_answer_flags_invalid_utf8_and_the_end() -> None:
    request = OutputRequest()
    whole = output_answer("7", request, "/o/slurm-7.out", 6, 0, "héllo".encode()[:6], True)
    assert (whole["text"], whole["invalid_utf8"], whole["eof"]) == ("héllo", False, True)
    assert whole["bytes"] == 6 and whole["job_finished"] is True
    broken = output_answer("7", request, "/o/x", 10, 0, b"ok\xff", False)
    assert (broken["text"], broken["invalid_utf8"], broken["eof"]) == ("ok\ufffd", True, False)
    honest = output_answer("7", request, "/o/x", 3, 0, "\ufffd".encode(), False)
    assert honest["invalid_utf8"] is False  # a replacement character the file really holds
