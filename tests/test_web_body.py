"""Tests for reading request bodies (hpcapi/web/body.py): the size limit, chunked uploads, the
content type and JSON syntax.

The size tests post to a test-only endpoint (web_helpers.extra_blueprint); the JSON tests post to
FRCE's cancel_job, the smallest endpoint that reads a JSON body.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import AppFactory, FakeSlurmrestd, make_server_config
from flask.testing import FlaskClient

from tests.web_helpers import assert_failure, extra_blueprint

# --- request body limit -------------------------------------------------------------------------


def test_small_body_is_accepted(extra_client: FlaskClient) -> None:
    response = extra_client.post("/hpcapi/test-only/echo", data=b"x" * 4096)
    assert response.status_code == 200
    assert response.get_json()["size"] == 4096


def test_body_over_the_limit_with_content_length_is_413(extra_client: FlaskClient) -> None:
    response = extra_client.post("/hpcapi/test-only/echo", data=b"x" * 4097)
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
    extra_client: FlaskClient, total: int, status: int
) -> None:
    stream = ChunkedBody(chunks(total))
    response = extra_client.post(
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


def test_chunked_json_body_reaches_the_view_whole(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # A chunked body under the limit is read by the view like a sized one: here a cancel_job
    # body naming a job id that cannot exist, answered without asking Slurm.
    stream = ChunkedBody(iter([b'{"jobid":', b' "abc"}']))
    response = client.post(
        "/hpcapi/cancel_job",
        content_type="application/json",
        environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True},
    )
    body = assert_failure(response, 404, "job_not_found")
    assert "'abc'" in body["message"]


def test_body_limit_follows_the_config(make_app: AppFactory) -> None:
    app = make_app(make_server_config(max_body_bytes=300))
    app.register_blueprint(extra_blueprint())
    client = app.test_client()
    assert client.post("/hpcapi/test-only/echo", data=b"x" * 300).status_code == 200
    body = assert_failure(
        client.post("/hpcapi/test-only/echo", data=b"x" * 301), 413, "postdata_too_big"
    )
    assert "300 bytes" in body["message"]


def test_unauthenticated_caller_is_refused_before_the_body_is_read(
    extra_client: FlaskClient,
) -> None:
    response = extra_client.post("/hpcapi/test-only/echo", data=b"x" * 5000, principal=None)
    assert_failure(response, 401, "unauthenticated")


def test_a_json_body_over_the_limit_is_413_not_a_parse_error(client: FlaskClient) -> None:
    big = '{"jobid": "' + "1" * 5000 + '"}'
    response = client.post("/hpcapi/cancel_job", data=big, content_type="application/json")
    assert_failure(response, 413, "postdata_too_big")


# --- content type -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        (None, "no content type"),
        ("text/plain", "text/plain"),
        ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
        ("application/merge-patch+json", "application/merge-patch+json"),
    ],
)
def test_a_body_not_sent_as_json_is_415(
    client: FlaskClient, content_type: str | None, shown: str
) -> None:
    kwargs: dict[str, Any] = {"content_type": content_type} if content_type else {}
    response = client.post("/hpcapi/cancel_job", data=b'{"jobid": "26"}', **kwargs)
    body = assert_failure(response, 415, "wrong_content_type")
    assert shown in body["message"]


def test_json_with_a_charset_parameter_is_json(
    client: FlaskClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    response = client.post("/hpcapi/cancel_job", data=b'{"jobid": "abc"}',
                           content_type="application/json; charset=utf-8")
    assert_failure(response, 404, "job_not_found")  # read, and the id refused


# --- JSON syntax --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b'{"jobid": "26",}', "not valid JSON"),
        (b'{"jobid": NaN}', "NaN is not JSON"),
        (b'{"jobid": Infinity}', "Infinity is not JSON"),
        (b'{"jobid": -Infinity}', "-Infinity is not JSON"),
        (b'{"jobid": "26", "jobid": "27"}', "the key 'jobid' appears twice"),
        (b'{"jobid": "\xff"}', "not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
        (b"[" * 2000 + b"]" * 2000, "not valid JSON"),  # deeper than Python recurses
    ],
)
def test_a_body_that_is_not_json_is_400_postdata_parse_error(
    client: FlaskClient, raw: bytes, hint: str
) -> None:
    response = client.post("/hpcapi/cancel_job", data=raw, content_type="application/json")
    body = assert_failure(response, 400, "postdata_parse_error")
    assert hint in body["message"]
    assert len(body["message"]) <= 300
