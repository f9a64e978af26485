"""hpcapi-outputd's request checks and file reading, in this process (no socket, no fork)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from hpcapi.outputd import HelperError, HelperPolicy, parse_request, peer_uid, read_file

POLICY = HelperPolicy(client_uid=0, min_uid=1000, max_uid=60000, cap_bytes=100)


def test_requests_are_checked_before_anything_is_opened() -> None:
    assert parse_request(b'{"uid": 1001, "path": "/o/x", "offset": -5}', POLICY) == (
        1001, "/o/x", -5, 100)
    assert parse_request(b'{"uid": 1001, "path": "/o/x", "max_bytes": 7}', POLICY)[3] == 7
    for line, code in ((b"not json", "bad_request"), (b"[]", "bad_request"),
                       (b'{"uid": true, "path": "/x"}', "bad_request"),
                       (b'{"uid": 1001, "path": "relative"}', "bad_request"),
                       (b'{"uid": 1001, "path": "/a\\u0000b"}', "bad_request"),
                       (b'{"uid": 0, "path": "/x"}', "refused"),
                       (b'{"uid": 70000, "path": "/x"}', "refused"),
                       (b'{"uid": 1001, "path": "/x", "max_bytes": 0}', "bad_request")):
        with pytest.raises(HelperError) as caught:
            parse_request(line, POLICY)
        assert caught.value.code == code, line


def test_read_file_reads_regular_files_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_bytes(b"0123456789")
    assert read_file(str(out), 0, 4) == (10, 0, b"0123")
    assert read_file(str(out), -3, 100) == (10, 7, b"789")
    assert read_file(str(out), 50, 100) == (10, 10, b"")
    (tmp_path / "link").symlink_to(out)
    os.mkfifo(tmp_path / "fifo")
    for name, code in (("link", "refused"), ("fifo", "refused"), ("missing", "not_found"),
                       ("missing/deeper", "not_found")):
        with pytest.raises(HelperError) as caught:
            read_file(str(tmp_path / name), 0, 10)
        assert caught.value.code == code, name
    with pytest.raises(HelperError) as caught:
        read_file(str(tmp_path), 0, 10)
    assert caught.value.code == "refused"


def test_peer_uid_is_the_connecting_process() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert peer_uid(left) == os.getuid()
