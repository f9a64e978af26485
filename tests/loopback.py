"""A raw HTTP server on loopback for the transports' tests (tests/test_*_transport.py).

A ``socket`` server on 127.0.0.1 (an ephemeral port), or on a unix socket, in threads of the
test process, over TLS when given a context. Each test gives it a handler, so that keep-alive,
closing, chunked encoding, a stall or a cut body happen exactly when the test wants; it records
every request as it arrived and counts the connections it accepted.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class Request:
    """A request as it arrived: header names lower-cased; ``connection`` numbers from 1."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    connection: int


class Peer:
    """One accepted connection (TLS already negotiated, for https), as a handler sees it."""

    def __init__(self, server: LoopbackServer, sock: socket.socket, number: int) -> None:
        self.server = server
        self.sock = sock
        self.number = number
        self._reader: BinaryIO = sock.makefile("rb")

    def read_request(self) -> Request | None:
        """The next request on this connection, or None at EOF."""
        line = self._reader.readline()
        if not line:
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self._reader.read(int(headers.get("content-length", "0")))
        request = Request(method, target, headers, body, self.number)
        self.server.requests.append(request)
        return request

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self._reader.close()
        self.sock.close()


Handler = Callable[[Peer], None]


class LoopbackServer:
    """Accepts connections on 127.0.0.1 and runs ``handler`` for each in its own thread, over
    TLS when given a context."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None,
                 host: str = "127.0.0.1", unix_path: str | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.requests: list[Request] = []
        self.connections = 0  # TCP connections accepted
        self.stop = threading.Event()  # set at teardown: stalling handlers wait on it
        self.eof = threading.Event()  # set by a handler that saw the client close
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        if unix_path is not None:  # slurmrestd's unix:/path listener
            self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._listener.bind(unix_path)
            self._listener.listen(16)
            self.port = 0
            self.url = f"unix://{unix_path}"
        else:
            self._listener = socket.create_server(("127.0.0.1", 0))
            self.port = self._listener.getsockname()[1]
            self.url = f"{'https' if tls else 'http'}://{host}:{self.port}"
        self._listener.settimeout(0.05)
        self._start(self._accept)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(5.0)  # a safety net only: no test waits that long
            with self._lock:
                self.connections += 1
                number = self.connections
                self._sockets.append(sock)
            self._start(self._serve, sock, number)

    def _serve(self, sock: socket.socket, number: int) -> None:
        try:
            if self.tls is not None:
                plain = sock
                sock = self.tls.wrap_socket(plain, server_side=True)  # takes over plain's fd
                with self._lock:
                    self._sockets[self._sockets.index(plain)] = sock
            peer = Peer(self, sock, number)
        except OSError:  # the client refused the certificate (ssl.SSLError is an OSError)
            sock.close()
            return
        try:
            self.handler(peer)
        except (OSError, ValueError):
            pass  # the client went away, or teardown shut the socket
        finally:
            peer.close()

    def close(self) -> None:
        self.stop.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked in recv
            except (OSError, ValueError):
                pass
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._listener.close()


def head(status: int = 200, headers: Mapping[str, str] | None = None) -> bytes:
    """A status line and headers."""
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def whole(body: bytes, headers: Mapping[str, str] | None = None, status: int = 200) -> bytes:
    """An answer with a Content-Length (so keep-alive under HTTP/1.1)."""
    return head(status, {"Content-Length": str(len(body)), **(headers or {})}) + body


def answer_once_then_close(peer: Peer) -> None:
    """Answers one request as if keeping the connection, then closes it."""
    if peer.read_request() is not None:
        peer.send(whole(b"first"))


def connection_close(peer: Peer) -> None:
    """Says 'Connection: close' but keeps reading: reuse would show as one connection."""
    while peer.read_request() is not None:
        peer.send(whole(b"bye", {"Connection": "close"}))
