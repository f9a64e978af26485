"""HTTPS to hpcapi on the standard library, with a SPNEGO token from the caller's Kerberos.

The ``hpcapi`` command is one short process per submission, so what it imports is most of what
it costs: requests and requests-gssapi took about 200 of the 330 ms of ``hpcapi submit`` on
the dev machine (2026-12-02), more than ``ssh login sbatch``. hpcapi needs none of what they
add (proxies, cookies, redirects, encodings): one request, one JSON answer. This transport keeps
one keep-alive connection per thread and server (``submit-many`` sends from a thread pool) and
authenticates every request opportunistically, the Negotiate token going with the request
itself, so that a POST is sent once instead of being refused with a 401 and sent again.

The server's own Kerberos answer (mutual authentication) is checked when it sends one; TLS,
verified against ``ca`` (else ``REQUESTS_CA_BUNDLE``, as the requests-based client did, else the
system's store), is what authenticates the server in any case. Proxy variables are not used.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from hpcapi.keepalive import closed_by_peer


class TransportFailure(Exception):
    """The request may not have reached the server, or its answer was lost on the way."""


class TlsFailure(Exception):
    """The server's certificate could not be verified; nothing was sent."""


@dataclass(frozen=True)
class Reply:
    """A whole answer: status, headers (names in lower case), body, and the URL asked."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def json(self) -> Any:
        """The body decoded as JSON (ValueError if it is not)."""
        return json.loads(self.body)


class Transport(Protocol):
    """Sends one request and returns its whole answer."""

    def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float) -> Reply:
        """Send the request; raise TransportFailure or TlsFailure (and whatever the
        negotiation raises for a server whose Kerberos answer does not check out)."""
        ...

    def close(self) -> None:
        """Close every connection."""
        ...


class Negotiation(Protocol):
    """One SPNEGO exchange: the token for a request, the check of the server's answer."""

    def header(self) -> str:
        """The ``Authorization`` header's value."""
        ...

    def check(self, www_authenticate: str) -> None:
        """Check the server's ``WWW-Authenticate`` answer ('' when it sent none)."""
        ...


# host -> a new exchange with that host's HTTP service
Negotiator = Callable[[str], Negotiation]


class HttpsTransport:
    """hpcapi's transport: keep-alive connections per thread, a SPNEGO token per request."""

    def __init__(self, negotiator: Negotiator | None, ca: str | None = None) -> None:
        self._negotiator = negotiator
        self._ca = ca or os.environ.get("REQUESTS_CA_BUNDLE") or None
        self._tls: ssl.SSLContext | None = None
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float) -> Reply:
        """Send on this thread's connection to the server (a new one if it was closed)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sent = dict(headers)
        negotiation = self._negotiator(parts.hostname) if self._negotiator else None
        if negotiation is not None:
            sent["Authorization"] = negotiation.header()
        connection = self._connection(parts.scheme, parts.hostname, parts.port, timeout)
        try:
            connection.request(method, target, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
        except ssl.SSLCertVerificationError as err:
            self._drop(connection)
            raise TlsFailure(err.verify_message or str(err)) from err
        except (OSError, http.client.HTTPException) as err:
            self._drop(connection)
            raise TransportFailure(_describe(err)) from err
        if response.will_close:
            self._drop(connection)
        if negotiation is not None and response.status != 401:
            negotiation.check(response.getheader("WWW-Authenticate") or "")
        return Reply(response.status, {name.lower(): value for name, value in
                                       response.getheaders()}, content, url)

    def close(self) -> None:
        """Close every connection any thread opened."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    def _connection(self, scheme: str, host: str, port: int | None,
                    timeout: float) -> http.client.HTTPConnection:
        """This thread's open connection to the server, or a new one."""
        key = (scheme, host, port)
        kept: dict[tuple[str, str, int | None], http.client.HTTPConnection] = (
            self._local.__dict__.setdefault("connections", {}))
        connection = kept.get(key)
        if connection is not None and connection.sock is not None and not closed_by_peer(
                connection.sock):
            connection.timeout = timeout
            connection.sock.settimeout(timeout)
            return connection
        if connection is not None:
            # Closed by the server while idle (Apache's KeepAliveTimeout): never send on it.
            self._drop(connection)
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=timeout,
                                                     context=self._tls_context())
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        kept[key] = connection
        with self._lock:
            self._all.append(connection)
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        """The TLS context, made on first use (loading a CA bundle takes a few ms)."""
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=self._ca)
        return self._tls

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        """Close a connection and forget it."""
        connection.close()
        kept = self._local.__dict__.get("connections", {})
        for key, value in list(kept.items()):
            if value is connection:
                del kept[key]
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)


def _describe(err: BaseException) -> str:
    """A short cause: 'Connection refused', 'timed out', or the exception's name."""
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return type(err).__name__
