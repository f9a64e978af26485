"""Tests for hpcapi.slurm.transport.HttpTransport, against a real HTTP server on loopback.

The server is a raw ``socket`` server on 127.0.0.1 (an ephemeral port), run in threads of the
test process; each test gives it a handler, so that keep-alive, closing, chunked encoding, a
stall or a cut body happen exactly when the test wants. The tests check what arrives at the
server (method, target, headers, body), what the answer gives back, when a connection is kept
and reused and when it is not, and which TransportError each failure becomes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hpcapi.slurm.transport import (
    Answer,
    ConnectFailed,
    ExchangeBroken,
    HttpTransport,
    ReadTimedOut,
    Timeouts,
)
from tests.loopback import (
    Handler,
    LoopbackServer,
    Peer,
    answer_once_then_close,
    connection_close,
    head,
    whole,
)

TIMEOUTS = Timeouts(connect=1.0, read=1.0)
SHORT_READ = Timeouts(connect=1.0, read=0.3)


# --- handlers -----------------------------------------------------------------------------------


def keep_alive(peer: Peer) -> None:
    """Answers every request on the connection with 'ok <target>'; notes the client's EOF."""
    while (request := peer.read_request()) is not None:
        peer.send(whole(f"ok {request.target}".encode(), {"X-Answer": "yes"}))
    peer.server.eof.set()


def big_body(peer: Peer) -> None:
    """Answers every request with 1000 bytes."""
    while peer.read_request() is not None:
        peer.send(whole(b"x" * 1000))


CHUNKS = (bytes(range(256)) * 12, b"seven..", bytes(range(200)) * 10)


def chunked_answer(peer: Peer) -> None:
    """A chunked answer, each chunk sent on its own."""
    if peer.read_request() is not None:
        peer.send(head(200, {"Transfer-Encoding": "chunked"}))
        for chunk in CHUNKS:
            peer.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        peer.send(b"0\r\n\r\n")
        peer.read_request()


def never_answer(peer: Peer) -> None:
    """Reads the request, then sends nothing."""
    if peer.read_request() is not None:
        peer.server.stop.wait()


def cut_body(peer: Peer) -> None:
    """Promises 100 bytes, sends 10, closes."""
    if peer.read_request() is not None:
        peer.send(head(200, {"Content-Length": "100"}) + b"0123456789")


def stall_body(peer: Peer) -> None:
    """Promises 100 bytes, sends 10, then sends nothing more."""
    if peer.read_request() is not None:
        peer.send(head(200, {"Content-Length": "100"}) + b"0123456789")
        peer.server.stop.wait()


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], LoopbackServer]]:
    """Starts loopback servers; stops them after the test."""
    servers: list[LoopbackServer] = []

    def start(handler: Handler) -> LoopbackServer:
        server = LoopbackServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def transports() -> Iterator[Callable[[str], HttpTransport]]:
    """Makes HttpTransports; closes them after the test."""
    made: list[HttpTransport] = []

    def make(url: str) -> HttpTransport:
        transport = HttpTransport(url)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()


def get(transport: HttpTransport, target: str = "/slurm/x",
        timeouts: Timeouts = TIMEOUTS) -> Answer:
    return transport.send("GET", target, {}, None, timeouts)


def get_whole(transport: HttpTransport, target: str = "/slurm/x") -> bytes:
    """GET, read the body to its end, close the answer."""
    answer = get(transport, target)
    try:
        return answer.read()
    finally:
        answer.close()


# --- tests --------------------------------------------------------------------------------------


def test_get_arrives_as_sent_and_answer_reads_back(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(keep_alive)
    transport = transports(server.url)
    headers = {"X-SLURM-USER-NAME": "alice", "X-SLURM-USER-TOKEN": "t.o.k", "Accept": "*/*"}

    answer = transport.send("GET", "/slurm/v0.0.38/jobs?update_time=5&flags=A", headers, None,
                            TIMEOUTS)

    assert answer.status == 200
    assert answer.header("X-Answer") == "yes"
    assert answer.header("x-answer") == "yes"
    assert answer.header("X-ANSWER") == "yes"
    assert answer.header("X-Absent") == ""
    assert answer.read() == b"ok /slurm/v0.0.38/jobs?update_time=5&flags=A"
    answer.close()
    [request] = server.requests
    assert request.method == "GET"
    assert request.target == "/slurm/v0.0.38/jobs?update_time=5&flags=A"
    assert request.headers["x-slurm-user-name"] == "alice"
    assert request.headers["x-slurm-user-token"] == "t.o.k"
    assert request.headers["accept"] == "*/*"
    assert request.headers["host"] == f"127.0.0.1:{server.port}"
    assert request.body == b""


def test_answers_read_whole_keep_one_connection(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(keep_alive)
    transport = transports(server.url)

    assert get_whole(transport, "/slurm/a") == b"ok /slurm/a"
    assert get_whole(transport, "/slurm/b") == b"ok /slurm/b"

    assert [(r.target, r.connection) for r in server.requests] == [
        ("/slurm/a", 1), ("/slurm/b", 1)]
    assert server.connections == 1


def test_answer_not_read_to_the_end_drops_its_connection(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(big_body)
    transport = transports(server.url)

    answer = get(transport)
    assert next(answer.pieces(10)) == b"x" * 10
    answer.close()
    assert get_whole(transport) == b"x" * 1000

    assert [r.connection for r in server.requests] == [1, 2]
    assert server.connections == 2


def test_idle_connection_closed_by_server_is_not_used(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(answer_once_then_close)
    transport = transports(server.url)

    assert get_whole(transport) == b"first"
    time.sleep(0.1)  # the server's FIN reaches the idle connection
    assert get_whole(transport) == b"first"

    assert [r.connection for r in server.requests] == [1, 2]
    assert server.connections == 2


def test_connection_close_answer_is_not_kept(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(connection_close)
    transport = transports(server.url)

    assert get_whole(transport) == b"bye"
    assert get_whole(transport) == b"bye"

    assert [r.connection for r in server.requests] == [1, 2]
    assert server.connections == 2


def test_chunked_answer_in_pieces(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(chunked_answer)
    transport = transports(server.url)

    answer = get(transport)
    pieces = list(answer.pieces(1000))
    answer.close()

    assert b"".join(pieces) == b"".join(CHUNKS)
    assert all(0 < len(piece) <= 1000 for piece in pieces)
    assert len(pieces) >= 6  # 3072 + 7 + 2000 bytes cannot come in fewer pieces of 1000


def test_post_sends_its_body_and_length(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(keep_alive)
    transport = transports(server.url)
    body = b'{"job": {"name": "x", "environment": ["A=1"]}, "script": "#!/bin/sh\\ntrue\\n"}'

    answer = transport.send("POST", "/slurm/v0.0.38/job/submit",
                            {"Content-Type": "application/json"}, body, TIMEOUTS)
    assert answer.read() == b"ok /slurm/v0.0.38/job/submit"
    answer.close()

    [request] = server.requests
    assert request.method == "POST"
    assert request.headers["content-length"] == str(len(body))
    assert request.headers["content-type"] == "application/json"
    assert request.body == body


def test_connection_refused_is_connect_failed(
        transports: Callable[[str], HttpTransport]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = transports(f"http://127.0.0.1:{port}")

    with pytest.raises(ConnectFailed):
        get(transport)


def test_no_answer_head_is_read_timed_out(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(never_answer)
    transport = transports(server.url)

    start = time.monotonic()
    with pytest.raises(ReadTimedOut):
        get(transport, timeouts=SHORT_READ)
    elapsed = time.monotonic() - start

    assert 0.2 < elapsed < 1.0
    assert len(server.requests) == 1


def test_body_cut_off_is_exchange_broken(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(cut_body)
    transport = transports(server.url)

    answer = get(transport)
    assert answer.status == 200
    with pytest.raises(ExchangeBroken):
        answer.read()
    answer.close()


def test_body_cut_off_in_pieces_is_exchange_broken(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(cut_body)
    transport = transports(server.url)

    answer = get(transport)
    received: list[bytes] = []
    try:
        with pytest.raises(ExchangeBroken):
            for piece in answer.pieces(4):
                received.append(piece)
    finally:
        answer.close()
    assert b"".join(received) == b"0123456789"


def test_body_stalled_is_read_timed_out(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(stall_body)
    transport = transports(server.url)

    answer = get(transport, timeouts=SHORT_READ)
    start = time.monotonic()
    with pytest.raises(ReadTimedOut):
        answer.read()
    assert time.monotonic() - start < 1.0
    answer.close()


def test_body_stalled_in_pieces_is_read_timed_out(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(stall_body)
    transport = transports(server.url)

    answer = get(transport, timeouts=SHORT_READ)
    received: list[bytes] = []
    with pytest.raises(ReadTimedOut):
        for piece in answer.pieces(4):
            received.append(piece)
    answer.close()

    # what came before the stall, in pieces of at most 4 (the 2 bytes a read waited on to
    # make up 4 go with its time-out)
    assert received and b"0123456789".startswith(b"".join(received))
    assert all(len(piece) <= 4 for piece in received)


def test_proxy_environment_is_ignored(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("http_proxy", "http://proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server = serve(keep_alive)
    transport = transports(server.url)

    assert get_whole(transport) == b"ok /slurm/x"

    [request] = server.requests
    assert request.target == "/slurm/x"  # not the absolute form a proxy is sent


@pytest.mark.parametrize("prefix", ["/prefix", "/prefix/"])
def test_base_url_path_prefixes_the_target(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport], prefix: str) -> None:
    server = serve(keep_alive)
    transport = transports(server.url + prefix)

    assert get_whole(transport, "/slurm/x?a=1") == b"ok /prefix/slurm/x?a=1"

    assert [r.target for r in server.requests] == ["/prefix/slurm/x?a=1"]


@pytest.mark.parametrize("url", ["ftp://x", "http:///slurm", "slurmrestd:6820"])
def test_not_an_http_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        HttpTransport(url)


def test_a_unix_socket_url_names_a_socket(tmp_path: Path) -> None:
    for url in ("unix:relative/slurmrestd.socket", "unix:"):
        with pytest.raises(ValueError, match="does not name a socket"):
            HttpTransport(url)
    transport = HttpTransport(f"unix://{tmp_path}/missing.socket")
    with pytest.raises(ConnectFailed):
        get(transport)


def test_over_a_unix_socket_requests_arrive_and_connections_are_kept(
        tmp_path: Path, transports: Callable[[str], HttpTransport]) -> None:
    server = LoopbackServer(keep_alive, unix_path=str(tmp_path / "slurmrestd.socket"))
    try:
        transport = transports(server.url)
        assert get_whole(transport, "/slurm/v0.0.44/ping") == b"ok /slurm/v0.0.44/ping"
        assert get_whole(transport, "/openapi/v3") == b"ok /openapi/v3"
        assert [(r.target, r.connection) for r in server.requests] == [
            ("/slurm/v0.0.44/ping", 1), ("/openapi/v3", 1)]
        assert server.requests[0].headers["host"] == "localhost"
    finally:
        server.close()


def test_close_closes_idle_connections(
        serve: Callable[[Handler], LoopbackServer],
        transports: Callable[[str], HttpTransport]) -> None:
    server = serve(keep_alive)
    transport = transports(server.url)
    assert get_whole(transport) == b"ok /slurm/x"
    assert not server.eof.wait(0.1)  # kept open while idle in the pool

    transport.close()

    assert server.eof.wait(1.0)
    assert server.connections == 1
