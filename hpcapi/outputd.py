"""hpcapi-outputd: reads a job's output file as the job's owner, for the web service.

The web service reads no file itself. It asks this helper, over a unix socket that only its
own user may use (checked with SO_PEERCRED), for at most ``max_bytes`` of a path Slurm's record
names, as a uid. The helper forks per request; the child drops to that user's uid, gid and
groups irreversibly before it opens anything, refuses uids outside [min_uid, max_uid], opens
with O_NOFOLLOW|O_NONBLOCK, reads regular files only, and never more than the cap.

The protocol, one request per connection: the client sends one JSON line
``{"uid": 1001, "path": "/home/alice/slurm-7.out", "offset": -4096, "max_bytes": 65536}``; the
helper answers one JSON line, ``{"ok": true, "size": S, "start": B, "length": L}`` followed by
the L bytes read, or ``{"ok": false, "error": CODE, "message": TEXT}``. Errors: ``not_found``
(no such file yet, or a directory on the way is missing), ``refused`` (a symlink, not a regular
file, no permission, a uid not allowed), ``bad_request``.
"""

from __future__ import annotations

import errno
import json
import os
import pwd
import socket
import stat
import struct
import sys
from dataclasses import dataclass
from typing import Any

# A request line is small: a uid, a path of at most PATH_MAX and two numbers.
MAX_REQUEST_BYTES = 8192
# struct ucred: pid, uid, gid (three C ints).
_UCRED = struct.Struct("3i")


@dataclass(frozen=True)
class HelperPolicy:
    """Who may ask, for whom, and how much."""

    client_uid: int  # the web service's user: the only peer served
    min_uid: int = 1000
    max_uid: int = 60000
    cap_bytes: int = 1024 * 1024


class HelperError(Exception):
    """A request the helper refuses; ``code`` is the protocol's error name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def peer_uid(connection: socket.socket) -> int:
    """The uid of the process at the other end of a unix socket (SO_PEERCRED)."""
    raw = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    return int(_UCRED.unpack(raw)[1])


def parse_request(line: bytes, policy: HelperPolicy) -> tuple[int, str, int, int]:
    """(uid, path, offset, max_bytes) of a request line, or HelperError("bad_request")."""
    try:
        request = json.loads(line)
    except ValueError as exc:
        raise HelperError("bad_request", "the request is not one JSON object") from exc
    if not isinstance(request, dict):
        raise HelperError("bad_request", "the request is not one JSON object")
    uid = _integer(request, "uid", None)
    offset = _integer(request, "offset", 0)
    max_bytes = _integer(request, "max_bytes", policy.cap_bytes)
    path = request.get("path")
    if not isinstance(path, str) or not path.startswith("/") or "\0" in path:
        raise HelperError("bad_request", "path must be an absolute path")
    if not policy.min_uid <= uid <= policy.max_uid:
        raise HelperError("refused", f"uid {uid} is outside {policy.min_uid}-{policy.max_uid}")
    if max_bytes < 1:
        raise HelperError("bad_request", "max_bytes must be positive")
    return uid, path, offset, min(max_bytes, policy.cap_bytes)


def _integer(request: dict[str, Any], key: str, default: int | None) -> int:
    """``request[key]`` as a JSON integer (never a boolean), else HelperError."""
    value = request.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise HelperError("bad_request", "uid, offset and max_bytes must be integers")
    return value


def become(uid: int) -> None:
    """Drop to ``uid``'s user, group and groups for good (this process only)."""
    try:
        account = pwd.getpwuid(uid)
    except KeyError as exc:
        raise HelperError("refused", f"uid {uid} is no user of this host") from exc
    groups = os.getgrouplist(account.pw_name, account.pw_gid)
    os.setgroups(groups)
    os.setresgid(account.pw_gid, account.pw_gid, account.pw_gid)
    os.setresuid(uid, uid, uid)
    # setresuid() as root to a non-zero uid cannot be undone; check that nothing was kept.
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (account.pw_gid,) * 3:
        raise HelperError("refused", "could not drop privileges")


def read_file(path: str, offset: int, max_bytes: int) -> tuple[int, int, bytes]:
    """(size, start, bytes) of a regular file, opened without following a last symlink."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise HelperError("not_found", "the output file does not exist (yet)") from exc
        if exc.errno == errno.ELOOP:
            raise HelperError("refused", "the output path is a symbolic link") from exc
        raise HelperError("refused", f"cannot open the output file: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise HelperError("refused", "the output path is not a regular file")
        size = info.st_size
        start = min(offset, size) if offset >= 0 else max(size + offset, 0)
        data = os.pread(fd, max_bytes, start)
        return size, start, data
    finally:
        os.close(fd)


def answer(connection: socket.socket, policy: HelperPolicy) -> None:
    """Serve one request on ``connection``, in a process that may drop its privileges."""
    try:
        line = _read_line(connection)
        uid, path, offset, max_bytes = parse_request(line, policy)
        become(uid)
        size, start, data = read_file(path, offset, max_bytes)
    except HelperError as exc:
        _send(connection, {"ok": False, "error": exc.code, "message": exc.message})
        return
    _send(connection, {"ok": True, "size": size, "start": start, "length": len(data)}, data)


def _read_line(connection: socket.socket) -> bytes:
    """The request line, at most MAX_REQUEST_BYTES."""
    chunks = b""
    while b"\n" not in chunks:
        chunk = connection.recv(MAX_REQUEST_BYTES)
        if not chunk:
            break
        chunks += chunk
        if len(chunks) > MAX_REQUEST_BYTES:
            raise HelperError("bad_request", "the request line is too long")
    return chunks.split(b"\n", 1)[0]


def _send(connection: socket.socket, header: dict[str, Any], data: bytes = b"") -> None:
    connection.sendall(json.dumps(header).encode() + b"\n" + data)


class HelperUnavailableError(Exception):
    """The helper cannot be reached or broke off its answer."""


def request_output(
    socket_path: str, uid: int, path: str, offset: int, max_bytes: int, timeout: float = 10.0
) -> tuple[int, int, bytes]:
    """Ask the helper at ``socket_path`` for (size, start, bytes) of ``path`` as ``uid``.

    HelperError for what the helper refuses; HelperUnavailableError when it cannot answer.
    """
    request = {"uid": uid, "path": path, "offset": offset, "max_bytes": max_bytes}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(socket_path)
            connection.sendall(json.dumps(request).encode() + b"\n")
            received = bytearray()
            while chunk := connection.recv(65536):
                received += chunk
                if len(received) > max_bytes + MAX_REQUEST_BYTES:
                    raise HelperUnavailableError("the helper sent more than it was asked for")
    except OSError as exc:
        raise HelperUnavailableError(
            f"cannot reach hpcapi-outputd at {socket_path}: {exc}"
        ) from exc
    line, newline, data = bytes(received).partition(b"\n")
    try:
        header = json.loads(line) if newline else None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise HelperUnavailableError("hpcapi-outputd gave no answer")
    if not header.get("ok"):
        raise HelperError(str(header.get("error")), str(header.get("message")))
    if len(data) != header.get("length"):
        raise HelperUnavailableError("hpcapi-outputd's answer was cut short")
    return int(header["size"]), int(header["start"]), data


def serve(listener: socket.socket, policy: HelperPolicy) -> None:
    """Accept connections for ever: each peer checked, each request in a child process."""
    while True:
        connection, _ = listener.accept()
        with connection:
            if peer_uid(connection) != policy.client_uid:
                _send(connection, {"ok": False, "error": "refused",
                                   "message": "this socket serves the hpcapi service only"})
                continue
            pid = os.fork()
            if pid == 0:  # the child: drops to the user, answers, exits
                code = 0
                try:
                    listener.close()
                    answer(connection, policy)
                except BaseException:  # noqa: BLE001 - a child must never return to the loop
                    code = 1
                os._exit(code)
        _reap()


def _reap() -> None:
    """Collect the children that have finished, without waiting for the others."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str] | None = None) -> int:
    """hpcapi-outputd SOCKET_PATH|- CLIENT_USER [MIN_UID MAX_UID CAP_BYTES]; - uses systemd's."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 5):
        print(main.__doc__, file=sys.stderr)
        return 2
    client = pwd.getpwnam(args[1]).pw_uid
    numbers = [int(a) for a in args[2:]] or [1000, 60000, 1024 * 1024]
    policy = HelperPolicy(client, *numbers)
    if args[0] == "-":
        # Socket activation: systemd passes the listening socket as fd 3 (sd_listen_fds()).
        listener = socket.socket(fileno=3)
    else:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(args[0])
        os.chown(args[0], client, -1)
        os.chmod(args[0], 0o600)
        listener.listen(16)
    serve(listener, policy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
