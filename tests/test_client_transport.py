"""Tests for hpcapi.client.transport.HttpsTransport, against a real HTTPS server on loopback.

The server is a raw ``socket`` server on 127.0.0.1 (an ephemeral port) run in threads of the
test process, speaking TLS with a certificate for localhost / 127.0.0.1 that the ``openssl``
command line signs, once per session, with a test CA (a second, unrelated CA stands for a wrong
one). Each test gives the server a handler, so that keep-alive, closing, a stall or a cut body
happen exactly when the test wants. The tests check what arrives at the server (method, target,
headers), what the Reply gives back, which CA verifies the server, when a connection is kept and
reused and when it is not, how the per-request negotiation is used, and which failure
(TransportFailure, TlsFailure) each problem becomes.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hpcapi.client.transport import HttpsTransport, Negotiation, Reply, TlsFailure, TransportFailure
from tests.loopback import (
    Handler,
    LoopbackServer,
    Peer,
    answer_once_then_close,
    connection_close,
    head,
    whole,
)

TIMEOUT = 1.0


# --- certificates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    """The test CA, the server's key and certificate it signed, and an unrelated CA."""

    ca: str
    server_cert: str
    server_key: str
    other_ca: str


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def _make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed CA: (key, certificate)."""
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
             "-subj", f"/CN=hpcapi test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return key, cert


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Made once per session with the openssl command line."""
    directory = tmp_path_factory.mktemp("tls")
    ca_key, ca_cert = _make_ca(directory, "ca")
    _, other_cert = _make_ca(directory, "other-ca")
    key, request, cert = (directory / name for name in ("server.key", "server.csr",
                                                        "server.pem"))
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", str(key), "-out", str(request), "-subj", "/CN=localhost")
    extensions = directory / "server.ext"
    extensions.write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n")
    _openssl("x509", "-req", "-in", str(request), "-CA", str(ca_cert), "-CAkey", str(ca_key),
             "-set_serial", "2", "-days", "2", "-extfile", str(extensions), "-out", str(cert))
    return Certificates(str(ca_cert), str(cert), str(key), str(other_cert))


# --- handlers -----------------------------------------------------------------------------------


def keep_alive(peer: Peer) -> None:
    """Answers every request on the connection with JSON naming its target; notes the EOF."""
    while (request := peer.read_request()) is not None:
        body = json.dumps({"target": request.target}).encode()
        peer.send(whole(body, {"X-Answer": "yes", "Content-Type": "application/json"}))
    peer.server.eof.set()


def never_answer(peer: Peer) -> None:
    """Reads the request, then sends nothing."""
    if peer.read_request() is not None:
        peer.server.stop.wait()


def cut_first_body(peer: Peer) -> None:
    """On the first connection promises 100 bytes, sends 10 and closes; then keeps alive."""
    if peer.number > 1:
        keep_alive(peer)
    elif peer.read_request() is not None:
        peer.send(head(200, {"Content-Length": "100"}) + b"0123456789")


def negotiate(peer: Peer) -> None:
    """/mutual answers with a Kerberos answer, /401 refuses, anything else has none."""
    while (request := peer.read_request()) is not None:
        if request.target == "/mutual":
            peer.send(whole(b"{}", {"WWW-Authenticate": "Negotiate abc"}))
        elif request.target == "/401":
            peer.send(whole(b"no", {"WWW-Authenticate": "Negotiate"}, status=401))
        else:
            peer.send(whole(b"{}"))


# --- fixtures and helpers -----------------------------------------------------------------------


Serve = Callable[..., LoopbackServer]
Transports = Callable[..., HttpsTransport]


@pytest.fixture
def serve(certs: Certificates) -> Iterator[Serve]:
    """Starts loopback servers (TLS unless ``tls=False``); stops them after the test."""
    servers: list[LoopbackServer] = []

    def start(handler: Handler, tls: bool = True) -> LoopbackServer:
        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certs.server_cert, certs.server_key)
        server = LoopbackServer(handler, context, host="localhost")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def transports(certs: Certificates) -> Iterator[Transports]:
    """Makes HttpsTransports (trusting the test CA unless told otherwise); closes them after."""
    made: list[HttpsTransport] = []

    def make(ca: str | None = certs.ca,
             negotiator: Callable[[str], Negotiation] | None = None) -> HttpsTransport:
        transport = HttpsTransport(negotiator, ca=ca)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()


def get(transport: HttpsTransport, url: str, timeout: float = TIMEOUT) -> Reply:
    return transport.send("GET", url, {}, None, timeout)


class FakeNegotiation:
    """One exchange: a numbered token; records what check() was given."""

    def __init__(self, negotiator: FakeNegotiator, host: str, number: int) -> None:
        self.negotiator = negotiator
        self.host = host
        self.number = number
        self.checked: list[str] = []

    def header(self) -> str:
        return f"Negotiate token-{self.number}"

    def check(self, www_authenticate: str) -> None:
        self.checked.append(www_authenticate)
        if self.negotiator.refuse:
            raise self.negotiator.refuse


class FakeNegotiator:
    """A negotiator: records every exchange it makes; ``refuse`` makes check() raise."""

    def __init__(self, refuse: Exception | None = None) -> None:
        self.refuse = refuse
        self.made: list[FakeNegotiation] = []

    def __call__(self, host: str) -> Negotiation:
        negotiation = FakeNegotiation(self, host, len(self.made) + 1)
        self.made.append(negotiation)
        return negotiation


class MutualAuthFailed(Exception):
    """What a negotiation raises for a server whose Kerberos answer does not check out."""


# --- tests --------------------------------------------------------------------------------------


def test_get_arrives_as_sent_and_reply_reads_back(serve: Serve,
                                                  transports: Transports) -> None:
    server = serve(keep_alive)
    transport = transports()
    url = f"{server.url}/jobs/12?state=RUNNING&user=alice"

    reply = transport.send("GET", url, {"Accept": "application/json", "X-Hpcapi-Test": "1"},
                           None, TIMEOUT)

    assert reply.status == 200
    assert reply.url == url
    assert reply.headers["x-answer"] == "yes"
    assert reply.headers["content-type"] == "application/json"
    assert all(name == name.lower() for name in reply.headers)
    assert reply.body == b'{"target": "/jobs/12?state=RUNNING&user=alice"}'
    assert reply.json() == {"target": "/jobs/12?state=RUNNING&user=alice"}
    [request] = server.requests
    assert request.method == "GET"
    assert request.target == "/jobs/12?state=RUNNING&user=alice"
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-hpcapi-test"] == "1"
    assert request.headers["host"] == f"localhost:{server.port}"
    assert "authorization" not in request.headers  # no negotiator, no token
    assert request.body == b""


def test_ca_bundle_from_the_environment_is_used(serve: Serve, transports: Transports,
                                                certs: Certificates,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certs.ca)
    server = serve(keep_alive)

    assert get(transports(ca=None), f"{server.url}/x").json() == {"target": "/x"}


def test_configured_ca_wins_over_the_environment(serve: Serve, transports: Transports,
                                                 certs: Certificates,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certs.ca)
    server = serve(keep_alive)

    with pytest.raises(TlsFailure):
        get(transports(ca=certs.other_ca), f"{server.url}/x")
    assert server.requests == []


def test_wrong_ca_is_tls_failure_and_nothing_is_sent(serve: Serve, transports: Transports,
                                                     certs: Certificates) -> None:
    server = serve(keep_alive)
    transport = transports(ca=certs.other_ca)

    with pytest.raises(TlsFailure):
        transport.send("POST", f"{server.url}/jobs", {"Content-Type": "application/json"},
                       b'{"script": "true"}', TIMEOUT)

    time.sleep(0.1)  # a request sent anyway would have arrived by now
    assert server.connections == 1
    assert server.requests == []


def test_one_connection_per_thread(serve: Serve, transports: Transports) -> None:
    server = serve(keep_alive)
    transport = transports()
    failures: list[BaseException] = []

    def from_another_thread() -> None:
        try:
            get(transport, f"{server.url}/c")
        except BaseException as err:  # reported by the test's thread
            failures.append(err)

    get(transport, f"{server.url}/a")
    get(transport, f"{server.url}/b")
    other = threading.Thread(target=from_another_thread)
    other.start()
    other.join(timeout=2.0)

    assert failures == []
    assert [(r.target, r.connection) for r in server.requests] == [
        ("/a", 1), ("/b", 1), ("/c", 2)]
    assert server.connections == 2


def test_idle_connection_closed_by_server_is_not_used(serve: Serve,
                                                      transports: Transports) -> None:
    server = serve(answer_once_then_close)
    transport = transports()

    assert get(transport, f"{server.url}/a").body == b"first"
    time.sleep(0.1)  # the server's FIN reaches the idle connection
    assert get(transport, f"{server.url}/b").body == b"first"

    assert [(r.target, r.connection) for r in server.requests] == [("/a", 1), ("/b", 2)]
    assert server.connections == 2


def test_connection_close_answer_is_not_kept(serve: Serve, transports: Transports) -> None:
    server = serve(connection_close)
    transport = transports()

    assert get(transport, f"{server.url}/a").body == b"bye"
    assert get(transport, f"{server.url}/b").body == b"bye"

    assert [(r.target, r.connection) for r in server.requests] == [("/a", 1), ("/b", 2)]
    assert server.connections == 2


def test_every_request_gets_a_new_negotiation(serve: Serve, transports: Transports) -> None:
    server = serve(negotiate)
    negotiator = FakeNegotiator()
    transport = transports(negotiator=negotiator)

    get(transport, f"{server.url}/mutual")
    get(transport, f"{server.url}/plain")
    refused = get(transport, f"{server.url}/401")

    assert refused.status == 401
    assert [n.host for n in negotiator.made] == ["localhost"] * 3
    assert [r.headers["authorization"] for r in server.requests] == [
        "Negotiate token-1", "Negotiate token-2", "Negotiate token-3"]
    assert [n.checked for n in negotiator.made] == [["Negotiate abc"], [""], []]
    assert server.connections == 1


def test_failed_check_propagates(serve: Serve, transports: Transports) -> None:
    server = serve(negotiate)
    refusal = MutualAuthFailed("the server's answer does not check out")
    negotiator = FakeNegotiator(refuse=refusal)
    transport = transports(negotiator=negotiator)

    with pytest.raises(MutualAuthFailed) as raised:
        get(transport, f"{server.url}/mutual")

    assert raised.value is refusal
    assert [n.checked for n in negotiator.made] == [["Negotiate abc"]]


def test_connection_refused(transports: Transports) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = transports()

    with pytest.raises(TransportFailure) as raised:
        get(transport, f"https://127.0.0.1:{port}/x")

    assert str(raised.value) == "Connection refused"


def test_no_answer_times_out(serve: Serve, transports: Transports) -> None:
    server = serve(never_answer)
    transport = transports()

    start = time.monotonic()
    with pytest.raises(TransportFailure) as raised:
        get(transport, f"{server.url}/x", timeout=0.3)
    elapsed = time.monotonic() - start

    assert str(raised.value) == "timed out"
    assert 0.2 < elapsed < 1.0
    assert len(server.requests) == 1


def test_body_cut_off_is_transport_failure_then_recovers(serve: Serve,
                                                         transports: Transports) -> None:
    server = serve(cut_first_body)
    transport = transports()

    with pytest.raises(TransportFailure):
        get(transport, f"{server.url}/a")
    assert get(transport, f"{server.url}/b").json() == {"target": "/b"}

    assert [(r.target, r.connection) for r in server.requests] == [("/a", 1), ("/b", 2)]


def test_proxy_environment_is_ignored(serve: Serve, transports: Transports,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://proxy.invalid:3128")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = serve(keep_alive)

    assert get(transports(), f"{server.url}/x").json() == {"target": "/x"}

    [request] = server.requests
    assert request.method == "GET"  # not the CONNECT a proxy is sent
    assert request.target == "/x"


def test_plain_http_works(serve: Serve, transports: Transports) -> None:
    server = serve(keep_alive, tls=False)
    assert server.url.startswith("http://")
    transport = transports()
    body = b'{"script": "#!/bin/sh\\ntrue\\n"}'

    reply = transport.send("POST", f"{server.url}/jobs", {"Content-Type": "application/json"},
                           body, TIMEOUT)

    assert reply.json() == {"target": "/jobs"}
    [request] = server.requests
    assert request.method == "POST"
    assert request.headers["content-length"] == str(len(body))
    assert request.body == body


@pytest.mark.parametrize("url", ["ftp://localhost/x", "localhost:8443/x", "https:///x"])
def test_not_an_http_url_is_refused(transports: Transports, url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        get(transports(), url)


def test_close_closes_connections_and_transport_still_works(serve: Serve,
                                                            transports: Transports) -> None:
    server = serve(keep_alive)
    transport = transports()
    get(transport, f"{server.url}/a")
    assert not server.eof.wait(0.1)  # kept open while idle

    transport.close()

    assert server.eof.wait(1.0)
    assert get(transport, f"{server.url}/b").json() == {"target": "/b"}
    assert [(r.target, r.connection) for r in server.requests] == [("/a", 1), ("/b", 2)]
    assert server.connections == 2
