"""HTTP/1.1 to slurmrestd on the standard library: a pool of keep-alive connections, time-outs.

hpcapi asks slurmrestd simple things (one request, one JSON answer, on loopback or a trusted
network), so it needs no proxies, cookies, redirects or retries. requests did all of that on
every call: 1.3 ms of a 4.1 ms slurmrestd ping on the dev machine (2026-12-02, trust_env off;
http.client alone 2.8 ms), a third of what hpcapi added to a call. This module does only
what is needed, and says what failed in its own exceptions, which hpcapi.slurm.client turns into
the errors hpcapi answers.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from hpcapi.keepalive import closed_by_peer


class TransportError(Exception):
    """The exchange with slurmrestd failed below HTTP."""


class ConnectFailed(TransportError):
    """No connection could be made (refused, no route, name unknown)."""


class ConnectTimedOut(TransportError):
    """No connection was accepted within the connect time-out."""


class ReadTimedOut(TransportError):
    """slurmrestd sent nothing for the read time-out, before or during its answer."""


class ExchangeBroken(TransportError):
    """The connection broke, or what came back was not HTTP, before the answer was whole."""


class Timeouts(NamedTuple):
    """Seconds to wait for a connection, and for each read of the answer."""

    connect: float
    read: float


class Answer(Protocol):
    """An answer whose head has arrived; its body is read once, whole or in pieces."""

    status: int

    def header(self, name: str) -> str:
        """A header's value ('' when absent); names are case-insensitive."""
        ...

    def read(self) -> bytes:
        """The whole body."""
        ...

    def pieces(self, size: int) -> Iterator[bytes]:
        """The body as it arrives, at most ``size`` bytes at a time."""
        ...

    def close(self) -> None:
        """Done with the answer: its connection is kept when the body was read to the end."""
        ...


class Transport(Protocol):
    """Sends one request to slurmrestd; ``target`` is the path with its query."""

    def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None,
             timeouts: Timeouts) -> Answer:
        """Send the request and return the answer once its head has arrived."""
        ...

    def close(self) -> None:
        """Close every idle connection."""
        ...


class _HttpAnswer:
    """An http.client response, handing its connection back to the pool when read whole."""

    def __init__(self, pool: HttpTransport, connection: http.client.HTTPConnection,
                 response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self._pool = pool
        self._connection: http.client.HTTPConnection | None = connection
        self._response = response
        self._whole = False  # the body was read to its end

    def header(self, name: str) -> str:
        """A header's value ('' when absent)."""
        return self._response.getheader(name) or ""

    def read(self) -> bytes:
        """The whole body."""
        with _reading():
            body = self._response.read()
        self._whole = True
        return body

    def pieces(self, size: int) -> Iterator[bytes]:
        """The body as it arrives."""
        while True:
            with _reading():
                piece = self._response.read(size)
            if piece:
                yield piece
                continue
            # http.client ends a Content-Length body cut short with b"" rather than an error.
            if self._response.length:
                raise ExchangeBroken(f"the answer ended {self._response.length} bytes short")
            self._whole = True
            return

    def close(self) -> None:
        """Keep the connection if the answer was read to its end and the server keeps it."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._whole and not self._response.will_close:
            self._pool.put_back(connection)
        else:
            self._response.close()
            connection.close()


@contextmanager
def _reading() -> Iterator[None]:
    """Turn what the socket and http.client raise while reading into TransportErrors."""
    try:
        yield
    except TimeoutError as err:
        raise ReadTimedOut(f"no data within the read time-out ({err})") from err
    except (OSError, http.client.HTTPException, ValueError) as err:
        # IncompleteRead, RemoteDisconnected, BadStatusLine, a reset, a bad chunk size
        raise ExchangeBroken(f"{type(err).__name__}: {err}") from err


class _UnixConnection(http.client.HTTPConnection):
    """HTTP/1.1 over a unix socket (slurmrestd's ``unix:/path`` listener)."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        """Connect to the socket, not to a host."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class HttpTransport:
    """Keep-alive HTTP/1.1 connections to one slurmrestd, shared by a worker's threads:
    ``http://host:port``, ``https://...`` or ``unix:///path/to/slurmrestd.socket``."""

    def __init__(self, base_url: str, pool_size: int = 16) -> None:
        parts = urlsplit(base_url)
        self._socket_path = parts.path if parts.scheme == "unix" else ""
        if parts.scheme == "unix" and not parts.path.startswith("/"):
            raise ValueError(f"{base_url!r} does not name a socket: unix:///path/to/socket")
        if parts.scheme not in ("http", "https", "unix") or not (
                parts.hostname or self._socket_path):
            raise ValueError(f"{base_url!r} is not an http(s) or unix:// URL")
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._https else 80)
        # The whole of a unix URL's path is the socket's: requests go to its root.
        self._prefix = "" if self._socket_path else parts.path.rstrip("/")
        self._tls = ssl.create_default_context() if self._https else None
        self._pool_size = pool_size
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None,
             timeouts: Timeouts) -> Answer:
        """Send on an idle connection, or a new one; the answer's head is read."""
        connection = self._take() or self._connect(timeouts.connect)
        try:
            assert connection.sock is not None  # noqa: S101 - connected by _take or _connect
            connection.sock.settimeout(timeouts.read)
            with _reading():
                connection.request(method, self._prefix + target, body=body,
                                   headers=dict(headers))
                response = connection.getresponse()
        except BaseException:
            connection.close()
            raise
        return _HttpAnswer(self, connection, response)

    def put_back(self, connection: http.client.HTTPConnection) -> None:
        """Keep a connection whose last answer was read whole, while the pool has room."""
        with self._lock:
            if len(self._idle) < self._pool_size:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take(self) -> http.client.HTTPConnection | None:
        """The most recently used idle connection the server has not closed, if any."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                connection = self._idle.pop()
            if connection.sock is not None and not closed_by_peer(connection.sock):
                return connection
            # An idle connection with something to read has been closed by the server (or
            # holds stray bytes): never send on it, since a POST could then be lost unseen.
            connection.close()

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        """A new connection, made now, so that its failures are told apart from a request's."""
        connection: http.client.HTTPConnection
        if self._socket_path:
            connection = _UnixConnection(self._socket_path, timeout)
        elif self._tls is not None:
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=timeout,
                                                     context=self._tls)
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        try:
            connection.connect()
        except TimeoutError as err:
            raise ConnectTimedOut(f"no connection within {timeout:g} s") from err
        except OSError as err:
            raise ConnectFailed(err.strerror or str(err)) from err
        return connection  # http.client sets TCP_NODELAY: small requests are not held back
