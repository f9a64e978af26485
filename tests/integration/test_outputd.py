"""hpcapi-outputd, the output reader, against the attacks it exists to refuse.

It runs here as it runs on a site (as root, dropping to the job's owner per request) on a
socket of its own, with the dev stack's users alice and bob; the test process (root) stands
in for the web service's user.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpcapi.outputd import HelperPolicy, serve

pytestmark = pytest.mark.integration

CAP = 4096


@pytest.fixture
def top() -> Iterator[Path]:
    """A directory every user may enter (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="hpcapi-outputd-", dir="/tmp"))
    os.chmod(path, 0o755)  # noqa: S103 - alice and bob must reach what is in it
    yield path
    shutil.rmtree(path)


@pytest.fixture
def helper(top: Path) -> Iterator[Path]:
    """A running helper serving root (this test) on a socket in ``top``."""
    path = top / "outputd.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    # Any local user may connect: the peer check is what refuses them.
    os.chmod(path, 0o666)  # noqa: S103
    listener.listen(8)
    pid = os.fork()
    if pid == 0:
        try:
            serve(listener, HelperPolicy(client_uid=0, min_uid=1000, max_uid=60000,
                                         cap_bytes=CAP))
        finally:
            os._exit(1)
    listener.close()
    yield path
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def ask(sock: Path, **request: object) -> tuple[dict[str, object], bytes]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(10)
        client.connect(str(sock))
        client.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while chunk := client.recv(65536):
            data += chunk
    header, _, body = data.partition(b"\n")
    return json.loads(header), body


def uid(name: str) -> int:
    return pwd.getpwnam(name).pw_uid


@pytest.fixture
def files(top: Path) -> Path:
    """alice's output, bob's secret and the traps, in a directory both may enter."""
    place = top / "jobs"
    place.mkdir()
    os.chmod(place, 0o755)  # noqa: S103 - as a shared job directory
    alice, bob = pwd.getpwnam("alice"), pwd.getpwnam("bob")
    out = place / "slurm-7.out"
    out.write_bytes(b"line 1\nline 2\n")
    os.chown(out, alice.pw_uid, alice.pw_gid)
    os.chmod(out, 0o600)
    secret = place / "bob-secret"
    secret.write_text("bob's\n")
    os.chown(secret, bob.pw_uid, bob.pw_gid)
    os.chmod(secret, 0o600)
    (place / "to-bob").symlink_to(secret)
    (place / "to-shadow").symlink_to("/etc/shadow")
    os.mkfifo(place / "fifo")
    (place / "dir").mkdir()
    big = place / "big.out"
    with open(big, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # far beyond the cap, sparse
    os.chown(big, alice.pw_uid, alice.pw_gid)
    return place


def test_reads_the_owners_file_whole_and_as_a_tail(helper: Path, files: Path) -> None:
    header, body = ask(helper, uid=uid("alice"), path=str(files / "slurm-7.out"))
    assert (header["ok"], header["size"], header["start"], body) == (True, 14, 0,
                                                                     b"line 1\nline 2\n")
    header, body = ask(helper, uid=uid("alice"), path=str(files / "slurm-7.out"), offset=-7)
    assert (header["start"], body) == (7, b"line 2\n")


@pytest.mark.parametrize(("name", "error"), [
    ("bob-secret", "refused"),  # another user's file: permission denied as alice
    ("to-bob", "refused"),  # a symlink to it
    ("to-shadow", "refused"),  # a symlink to a file alice cannot read
    ("fifo", "refused"),  # must not hang
    ("dir", "refused"),
    ("missing.out", "not_found"),
])  # fmt: skip
def test_refuses_every_trap_and_reads_nothing(
    helper: Path, files: Path, name: str, error: str
) -> None:
    started = time.monotonic()
    header, body = ask(helper, uid=uid("alice"), path=str(files / name))
    assert (header["ok"], header["error"], body) == (False, error, b"")
    assert time.monotonic() - started < 5


def test_devices_big_files_and_system_accounts(helper: Path, files: Path) -> None:
    header, body = ask(helper, uid=uid("alice"), path="/dev/zero")
    assert (header["error"], body) == ("refused", b"")
    header, body = ask(helper, uid=uid("alice"), path=str(files / "big.out"),
                       max_bytes=10**9)
    assert (header["size"], header["length"], len(body)) == (50 * 1024 * 1024, CAP, CAP)
    for account in (0, 1, 65534):  # root, daemon, nobody
        header, _ = ask(helper, uid=account, path=str(files / "slurm-7.out"))
        assert header["error"] == "refused"
    header, _ = ask(helper, uid="1001", path=str(files / "slurm-7.out"))
    assert header["error"] == "bad_request"


def test_another_local_user_is_refused_at_the_socket(helper: Path, files: Path) -> None:
    probe = (
        "import json, socket, sys\n"
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])\n"
        "request = json.dumps({'uid': int(sys.argv[2]), 'path': sys.argv[3]}).encode()\n"
        # The helper may answer and close before the request is sent: a broken pipe then.
        "try:\n    s.sendall(request + b'\\n')\nexcept OSError:\n    pass\n"
        "print(s.recv(65536).decode())\n"
    )
    done = subprocess.run(
        ["runuser", "-u", "bob", "--", sys.executable, "-c", probe, str(helper),
         str(uid("alice")), str(files / "slurm-7.out")],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert done.returncode == 0, done.stderr
    header = json.loads(done.stdout.splitlines()[0])
    assert (header["ok"], header["error"]) == (False, "refused")
    assert "line 1" not in done.stdout
