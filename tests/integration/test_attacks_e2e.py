"""Attacks end to end, each of which must be refused: forged identities, principals that may not
act, unsafe start-up configurations, oversize and slow requests, malformed session cookies,
reaching another user's jobs, and job fields that try to make hpcapi read or write files.

Complements test_identity_e2e.py (single forged headers, other users on gunicorn's socket,
5 KB bodies), test_startup.py, test_submit_e2e.py (the service canary, a plain dependency on
bob's job) and test_jobs_e2e.py (404 and cancel for bob's job): the forms tested here are the
ones those leave out.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import gssapi
import jwt
import pytest

from hpcapi.slurm.transport import HttpTransport
from tests.integration.conftest import REALM, REPO, curl, scontrol_job, slurm_job_ids
from tests.integration.test_submit_e2e import wait_for_state

pytestmark = pytest.mark.e2e

SCRIPT = "#!/bin/bash\ntrue\n"
HELD = {"partition": "quick", "script-body": SCRIPT, "hold": True}
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}


def _state(stack: dict[str, str]) -> Path:
    return Path(stack["HPCAPI_DEV_STATE"])


def _socket_path(stack: dict[str, str]) -> Path:
    return _state(stack) / "hpcapi" / "sock" / "gunicorn.sock"


def _submit(api_user, body, **kwargs) -> str:
    response = api_user.post_json("submit_job", body, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["reason"]


# --- the identity header, forged ----------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        ["X-Remote-User: bob@HPCAPI.TEST", "X-Remote-User: bob@HPCAPI.TEST"],
        ["X_Remote_User: bob@HPCAPI.TEST", "X_Remote_User: bob@HPCAPI.TEST"],
        ["x-REMOTE-user: bob@HPCAPI.TEST", "X-Remote-USER: bob@HPCAPI.TEST"],
        ["X-Remote-User: bob@HPCAPI.TEST", "X_Remote_User: bob@HPCAPI.TEST"],
        ["X-Remote-User: bob@HPCAPI.TEST, alice@HPCAPI.TEST"],
        ["X-Remote-User: alice@HPCAPI.TEST, bob@HPCAPI.TEST"],
        ["X_Remote_User: bob@HPCAPI.TEST, alice@HPCAPI.TEST"],
    ],
    ids=["dash-twice", "underscore-twice", "odd-case-twice", "dash-and-underscore",
         "comma-bob-first", "comma-alice-first", "underscore-comma"],
)
def test_forged_header_through_apache_in_every_form_leaves_alice_alice(stack, kinit, forged):
    args = [item for header in forged for item in ("-H", header)]
    result = curl(stack, "whoami", kinit("alice"), *args)
    assert result.status == 200, result.body
    assert result.json()["principal"] == f"alice@{REALM}"
    assert result.json()["local_user"] == "alice"


def _as_www_data(stack, headers: list[str], path: str = "whoami", *extra: str) -> tuple[int, str]:
    """A request straight to gunicorn's socket as Apache's user, bypassing Apache."""
    args = [item for header in headers for item in ("-H", header)]
    result = subprocess.run(
        ["runuser", "-u", "www-data", "--", "curl", "-sS", "--max-time", "30",
         "-w", "\n%{http_code}", "--unix-socket", str(_socket_path(stack)), *args, *extra,
         f"http://localhost/hpcapi/{path}"],
        capture_output=True, text=True, check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        # the control: one well-formed header is believed (this is why the socket is guarded)
        (["X-Remote-User: alice@HPCAPI.TEST"], 200, None),
        (["X-Remote-User: alice@HPCAPI.TEST", "X-Remote-User: bob@HPCAPI.TEST"], 403,
         "principal_not_allowed"),
        (["X-Remote-User: alice@HPCAPI.TEST", "X-Remote-User: alice@HPCAPI.TEST"], 403,
         "principal_not_allowed"),
        (["X-Remote-User: bob@HPCAPI.TEST, alice@HPCAPI.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: bob@HPCAPI.TEST,alice@HPCAPI.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: alice@EVIL.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: alice@hpcapi.test"], 403, "principal_not_allowed"),
        (["X-Remote-User: alice/admin@HPCAPI.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: alice@HPCAPI.TEST@HPCAPI.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: ghost@HPCAPI.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: root@HPCAPI.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: daemon@HPCAPI.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: hpcapi@HPCAPI.TEST"], 403, "principal_not_allowed"),
        (["X-Remote-User: (null)"], 403, "principal_not_allowed"),
        # gunicorn drops header names with '_' (header_map = "drop"): no identity at all
        (["X_Remote_User: alice@HPCAPI.TEST"], 401, "unauthenticated"),
        (["X-Remote-User;"], 401, "unauthenticated"),
    ],
)
def test_identity_at_gunicorns_socket(stack, headers, status, reason):
    got, body = _as_www_data(stack, headers)
    assert got == status, body
    if reason:
        assert json.loads(body)["reason"] == reason
    else:
        assert json.loads(body)["local_user"] == "alice"


# System accounts above the regular range (slurm is SlurmUser, uid 64030 on Debian; nobody
# is the overflow uid 65534) are outside min_uid..max_uid.
@pytest.mark.parametrize("user", ["slurm", "nobody"])
def test_principal_of_a_high_system_account_is_refused(stack, user):
    got, body = _as_www_data(stack, [f"X-Remote-User: {user}@HPCAPI.TEST"])
    assert got == 403, body


def test_gunicorn_socket_is_apaches_group_only(stack):
    sock = _socket_path(stack)
    info, parent = sock.stat(), sock.parent.stat()
    assert oct(info.st_mode & 0o777) == oct(0o660)
    assert pwd.getpwuid(info.st_uid).pw_name == "hpcapi"
    assert info.st_gid == pwd.getpwnam("www-data").pw_gid
    assert parent.st_mode & 0o007 == 0  # others may not even reach the directory


# --- principals the KDC vouches for but hpcapi must refuse --------------------------------------


@pytest.fixture
def throwaway_principal(stack, tmp_path) -> Iterator[Callable[[str], dict[str, str]]]:
    """throwaway_principal(name) -> env with a ticket for name@REALM; deleted from the KDC after."""
    env = {**os.environ, **stack, "KRB5_KDC_PROFILE": str(_state(stack) / "krb5" / "kdc.conf")}
    created: list[str] = []

    def kadmin(query: str) -> subprocess.CompletedProcess:
        return subprocess.run(["kadmin.local", "-r", REALM, "-q", query], env=env,
                              capture_output=True, text=True, check=True)

    def make(name: str) -> dict[str, str]:
        principal = f"{name}@{REALM}"
        if "Principal:" in kadmin(f"getprinc {principal}").stdout:
            pytest.fail(f"{principal} already exists in the KDC; not touching what is not ours")
        kadmin(f"addprinc -randkey {principal}")
        created.append(principal)
        keytab = tmp_path / f"{name}.keytab"
        kadmin(f"ktadd -k {keytab} {principal}")
        ticket_env = {**os.environ, **stack, "KRB5CCNAME": f"FILE:{tmp_path}/cc_{name}"}
        subprocess.run(["kinit", "-k", "-t", str(keytab), principal], env=ticket_env, check=True)
        return ticket_env

    yield make
    for principal in created:
        kadmin(f"delprinc -force {principal}")


@pytest.mark.parametrize("name", ["ghost", "root", "daemon"])
def test_kdc_principal_without_a_usable_local_user_is_refused(stack, throwaway_principal, name):
    # ghost: no such local user; root: never; daemon: uid 1, outside min_uid..max_uid.
    ticket_env = throwaway_principal(name)
    result = subprocess.run(
        ["curl", "-sS", "--negotiate", "-u", ":", "-w", "\n%{http_code}",
         f"{stack['HPCAPI_URL']}/whoami"],
        env=ticket_env, capture_output=True, text=True, check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    assert status == "403", body
    assert json.loads(body)["reason"] == "principal_not_allowed"
    assert f"{name}@{REALM}" in json.loads(body)["message"]


# --- start-up refuses unsafe configurations -----------------------------------------------------


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary directory the service user can traverse (pytest's own is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="hpcapi-attack-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _unsafe_config(stack, directory: Path, key_mode: int = 0o600,
                   extra: dict[str, list[str]] | None = None) -> Path:
    """The dev stack's hpcapi.conf, with its own copy of the key and lines added per section."""
    state = _state(stack)
    conf = (state / "hpcapi" / "etc" / "hpcapi.conf").read_text()
    # The stack's own key, whichever it signs with (25.11: RS256).
    (configured,) = [line.split(" = ", 1)[1] for line in conf.splitlines()
                     if line.startswith("jwt_key_file")]
    key = directory / Path(configured).name
    shutil.copyfile(configured, key)
    os.chown(key, pwd.getpwnam("hpcapi").pw_uid, pwd.getpwnam("hpcapi").pw_gid)
    key.chmod(key_mode)
    lines = []
    for line in conf.splitlines():
        if line.startswith("jwt_key_file"):
            line = f"jwt_key_file = {key}"
        lines.append(line)
        if line.startswith("[") and extra and line.strip("[]") in extra:
            lines.extend(extra[line.strip("[]")])
    path = directory / "hpcapi.conf"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o644)
    return path


def _run_gunicorn(directory: Path, config: Path, seconds: float = 30) -> tuple[int | None, str]:
    """Start hpcapi-server as the dev stack does, on a private socket; (exit code or None,
    output).

    None means it was still serving after ``seconds`` (it is then stopped)."""
    venv = Path(sys.executable).parent
    process = subprocess.Popen(
        [str(venv / "hpcapi-server"), "serve", "-c", str(REPO / "systemd" / "gunicorn.conf.py"),
         "--bind", f"unix:{directory}/test.sock", "--user", "hpcapi", "--group", "hpcapi",
         "--workers", "1", "--pid", f"{directory}/gunicorn.pid"],
        env={"PATH": "/usr/bin:/bin", "HPCAPI_CONFIG": str(config)}, cwd="/",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    sock = directory / "test.sock"
    deadline = time.monotonic() + seconds
    served = False
    while time.monotonic() < deadline and process.poll() is None:
        if sock.exists():
            probe = subprocess.run(
                ["curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}",
                 "--unix-socket", str(sock), "http://localhost/hpcapi/whoami"],
                capture_output=True, text=True,
            )
            if probe.stdout == "401":
                served = True
                break
        time.sleep(0.2)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return (None if served else process.returncode), output


def test_startup_control_the_unchanged_config_serves(stack, shared_tmp):
    code, output = _run_gunicorn(shared_tmp, _unsafe_config(stack, shared_tmp))
    assert code is None, output


@pytest.mark.parametrize(
    ("key_mode", "extra", "named"),
    [
        (0o600, {"principal_map": ["evil@HPCAPI.TEST = root"]},
         "maps to 'root' (uid 0), outside min_uid"),
        (0o600, {"principal_map": ["evil@HPCAPI.TEST = daemon"]},
         "maps to 'daemon' (uid 1), outside min_uid 1000"),
        (0o600, {"principal_map": ["evil@HPCAPI.TEST = hpcapi"]}, "maps to 'hpcapi' (uid"),
        (0o600, {"principal_map": ["evil@HPCAPI.TEST = ghostuser"]},
         "maps to 'ghostuser', which is not a local user"),
        (0o600, {"identity": ["header = X_Remote_User"]}, "[identity] header"),
        (0o600, {"slurmrestd": ["token_lifetime = 61"]}, "61 is outside 5..60"),
        (0o644, None, "has mode 0644"),
        (0o640, None, "has mode 0640"),
        (0o606, None, "has mode 0606"),
    ],
    ids=["map-to-root", "map-to-daemon", "map-to-service-user", "map-to-unknown",
         "underscore-header", "token-61s", "key-0644", "key-0640", "key-0606"],
)
def test_unsafe_configuration_stops_startup(stack, shared_tmp, key_mode, extra, named):
    code, output = _run_gunicorn(shared_tmp, _unsafe_config(stack, shared_tmp, key_mode, extra))
    assert code is not None, f"gunicorn served with an unsafe configuration:\n{output}"
    assert code != 0
    assert named in output


# --- tokens: short-lived, the caller's, never root's ---------------------------------------------


class RecordingTransport(HttpTransport):
    """The real transport to slurmrestd, remembering the headers of every request."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.sent: list[tuple[str, dict[str, str]]] = []

    def send(self, method, target, headers, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.sent.append((target, dict(headers)))
        return super().send(method, target, headers, *args, **kwargs)


def test_tokens_minted_for_real_requests_live_at_most_60s_and_never_for_root(stack):
    # hpcapi's own app, in this process, with the dev stack's configuration and key, talking to
    # the real slurmrestd through a transport that records the tokens it is handed.
    import dataclasses

    from hpcapi.config import load_config
    from hpcapi.web import create_app

    state = _state(stack)
    from hpcapi.slurm.token import read_key

    config = load_config(str(state / "hpcapi" / "etc" / "hpcapi.conf"))
    # What Slurm verifies tokens with: the HS256 key, or the RS256 key's public half.
    signing = read_key(config.jwt_key_file, config.jwt_algorithm, config.jwt_kid)
    key = signing.key.public_key() if signing.algorithm == "RS256" else signing.key
    algorithms = [signing.algorithm]
    # A map entry to root that start-up would refuse, slipped past it: still never a token.
    config = dataclasses.replace(
        config, principal_map={**config.principal_map, f"evil@{REALM}": "root"}
    )
    recorder = RecordingTransport(config.slurmrestd_url)
    app = create_app({"config": config, "slurm_transport": recorder})
    client = app.test_client()

    def get(path: str, principal: str):
        return client.get(f"/hpcapi/{path}", headers={"X-Remote-User": principal})

    for principal in (f"evil@{REALM}", f"root@{REALM}", f"daemon@{REALM}"):
        before = len(recorder.sent)
        assert get("ping", principal).status_code == 403
        assert get("query_status", principal).status_code == 403
        assert len(recorder.sent) == before  # refused before any call to slurmrestd
    for path in ("ping", "query_status", "partitions", "job/99999999"):
        assert get(path, f"alice@{REALM}").status_code in (200, 404)

    tokens = {headers.get("X-SLURM-USER-TOKEN") for _, headers in recorder.sent}
    assert tokens and None not in tokens
    for token in tokens:
        claims = jwt.decode(token, key, algorithms=algorithms)  # valid now, signed by the key
        assert set(claims) == {"iat", "exp", "sun"}
        assert 0 < claims["exp"] - claims["iat"] <= 60
        assert claims["sun"] != "root"
    users = {jwt.decode(t, key, algorithms=algorithms)["sun"] for t in tokens}
    assert users <= {"alice", "nobody"}  # nobody: the start-up version probe
    assert "alice" in users
    assert all(headers.get("X-SLURM-USER-NAME") != "root" for _, headers in recorder.sent)


# --- bodies -------------------------------------------------------------------------------------


def _negotiate_header(stack: dict[str, str], keytab_name: str = "alice") -> str:
    """An Authorization header with a fresh SPNEGO token, as requests-gssapi would send."""
    name = gssapi.Name(f"{keytab_name}@{REALM}", gssapi.NameType.kerberos_principal)
    store = {"client_keytab": f"{stack['HPCAPI_DEV_KEYTABS']}/{keytab_name}.keytab",
             "ccache": f"MEMORY:attack-{keytab_name}"}
    creds = gssapi.Credentials(name=name, usage="initiate", store=store)
    context = gssapi.SecurityContext(
        name=gssapi.Name("HTTP@localhost", gssapi.NameType.hostbased_service),
        creds=creds, usage="initiate",
    )
    return "Authorization: Negotiate " + base64.b64encode(context.step()).decode()


def _tls_connection(stack: dict[str, str]) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=stack["CURL_CA_BUNDLE"])
    raw = socket.create_connection(("localhost", 8443), timeout=10)
    return context.wrap_socket(raw, server_hostname="localhost")


def _read_answer(conn: socket.socket, seconds: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes (or ``seconds`` pass), and when it ended."""
    start = time.monotonic()
    conn.settimeout(seconds)
    data = b""
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    except (TimeoutError, ssl.SSLError, ConnectionError):
        pass
    return data, time.monotonic() - start


def _status_of(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/1."):
        return None
    return int(answer.split(b" ", 2)[1])


def _access_log_lines(stack, start: int) -> list[str]:
    with (_state(stack) / "log" / "gunicorn-access.log").open("rb") as handle:
        handle.seek(start)
        return handle.read().decode(errors="replace").splitlines()


def _access_log_size(stack) -> int:
    return (_state(stack) / "log" / "gunicorn-access.log").stat().st_size


def test_content_length_far_over_the_limit_is_refused_without_reading(stack):
    with _tls_connection(stack) as conn:
        conn.sendall(
            f"POST /hpcapi/submit_job HTTP/1.1\r\nHost: localhost:8443\r\n"
            f"{_negotiate_header(stack)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: 10000000000\r\n\r\n".encode() + b'{"partition": "norm"'
        )
        answer, seconds = _read_answer(conn, 15)
    assert _status_of(answer) == 413, answer[:200]
    assert b'"postdata_too_big"' in answer
    assert seconds < 5


@pytest.mark.parametrize("size", [4096, 4097])
def test_body_limit_is_exactly_4096_bytes_through_apache(api, size):
    template = {"partition": "quick", "script-body": "#!/bin/bash\n#"}
    padding = size - len(json.dumps(template).encode())
    body = json.dumps({**template, "script-body": template["script-body"] + "x" * padding})
    assert len(body.encode()) == size
    before = slurm_job_ids()
    response = api("alice").post_json("submit_job?dry_run=1", body)
    if size == 4096:
        assert response.status_code == 200, response.text
        assert response.json()["reason"] == "dry_run"
    else:
        assert response.status_code == 413
        assert response.json()["reason"] == "postdata_too_big"
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)


@pytest.mark.parametrize("path", ["health", "openapi.json"])
@pytest.mark.parametrize("chunked", [False, True])
def test_oversize_body_to_public_endpoints_is_refused(stack, tmp_path, gunicorn_requests,
                                                      path, chunked):
    body = tmp_path / "body"
    body.write_bytes(b"x" * 5000)
    extra = ["-H", "Transfer-Encoding: chunked"] if chunked else []
    result = curl(stack, path, None, "-X", "GET", *extra, "--data-binary", f"@{body}")
    assert result.status == 413
    assert result.json()["reason"] == "postdata_too_big"
    assert gunicorn_requests() == 0


@pytest.mark.parametrize("chunked", [False, True])
def test_oversize_body_past_apache_is_refused_by_hpcapi(stack, shared_tmp, chunked):
    # Defence in depth: were Apache's guard gone, hpcapi refuses the body itself.
    body = shared_tmp / "body.json"
    body.write_text('{"partition": "norm", "script-body": "#!/bin/bash\\n#' + "x" * 5000 + '"}')
    body.chmod(0o644)
    extra = ["-H", "Transfer-Encoding: chunked"] if chunked else []
    before = slurm_job_ids()
    status, answer = _as_www_data(
        stack, ["X-Remote-User: alice@HPCAPI.TEST", "Content-Type: application/json", *extra],
        "submit_job", "--data-binary", f"@{body}",
    )
    assert status == 413, answer
    assert json.loads(answer)["reason"] == "postdata_too_big"
    # Anonymous: refused before the body is read.
    status, answer = _as_www_data(
        stack, ["Content-Type: application/json", *extra], "submit_job",
        "--data-binary", f"@{body}",
    )
    assert status == 401, answer
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)


# --- slow clients -------------------------------------------------------------------------------


def test_stalled_bodies_get_408_and_do_not_tie_up_the_service(stack, api):
    # More stalled uploads than gunicorn has threads (2 workers x 8): each sends its headers
    # and 10 of the 100 bytes it announces, then nothing.
    start_log = _access_log_size(stack)
    connections = []
    for _ in range(20):
        conn = _tls_connection(stack)
        conn.sendall(
            f"POST /hpcapi/submit_job?dry_run=1 HTTP/1.1\r\nHost: localhost:8443\r\n"
            f"{_negotiate_header(stack)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: 100\r\n\r\n".encode() + b'{"partitio'
        )
        connections.append(conn)
    started = time.monotonic()
    try:
        time.sleep(1)
        alice = api("alice")
        normal = alice.session.get(f"{alice.url}/whoami", timeout=5)
        assert normal.status_code == 200
        assert time.monotonic() - started < 6
        answers = [_read_answer(conn, 25) for conn in connections]
    finally:
        for conn in connections:
            conn.close()
    elapsed = time.monotonic() - started
    assert [_status_of(answer) for answer, _ in answers] == [408] * 20, answers[0][0][:200]
    assert b'"reason": "request_timeout"' in answers[0][0]  # in hpcapi's JSON shape
    assert elapsed < 20  # mod_reqtimeout's body=10, not Apache's Timeout (30 s)
    # No stalled request ever reached gunicorn.
    assert not [line for line in _access_log_lines(stack, start_log) if "submit_job" in line]


CLIENT_HELLO_START = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"


def test_slow_headers_and_a_stalled_handshake_are_cut_off(stack):
    results: dict[str, tuple[bytes, float]] = {}

    def slow_headers() -> None:
        with _tls_connection(stack) as conn:
            conn.sendall(b"GET /hpcapi/whoami HTTP/1.1\r\nHost: localhost:8443\r\nX-A: 1\r\n")
            results["headers"] = _read_answer(conn, 40)

    def stalled_handshake() -> None:
        with socket.create_connection(("localhost", 8443), timeout=10) as conn:
            conn.sendall(CLIENT_HELLO_START)  # a TLS record header and a few bytes, then nothing
            results["handshake"] = _read_answer(conn, 40)

    threads = [threading.Thread(target=slow_headers), threading.Thread(target=stalled_handshake)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    answer, seconds = results["headers"]
    assert _status_of(answer) in (408, None), answer[:200]
    assert seconds < 22  # header=10-20
    _, seconds = results["handshake"]
    assert seconds < 12  # handshake=5


# --- malformed mod_auth_gssapi session cookies ---------------------------------------------------

SEGFAULT = "exit signal Segmentation fault"
GOOD_COOKIES = ["gssapi_session=MagBearerToken=" + "A" * 120,
                "gssapi_session=MagBearerToken=" + "A" * 60 + "%2f" + "A" * 58 + "%3D%3D"]
GOOD_COOKIE = GOOD_COOKIES[0]


MALFORMED_COOKIES = [
    "gssapi_session=MagBearerToken=AAAA",
    "gssapi_session=MagBearerToken=",
    "gssapi_session=",
    "gssapi_session=garbage",
    "gssapi_session=MagBearerToken=" + "A" * 60 + "%2" + "A" * 60,
    "gssapi_session=MagBearerToken=" + "A" * 43 + "%3D" + "A" * 60,
    "gssapi_session=MagBearerToken=" + "A" * 85,
    "GSSAPI_SESSION=MagBearerToken=AAAA",
    "other=1; gssapi_session=MagBearerToken=AAAA",
    GOOD_COOKIE + "; gssapi_session=MagBearerToken=AAAA",
]


@pytest.mark.parametrize("path", ["whoami", "health"])
@pytest.mark.parametrize("with_ticket", [False, True], ids=["anonymous", "alice"])
def test_malformed_session_cookies_are_403_and_crash_nothing(
    stack, kinit, gunicorn_requests, path, with_ticket
):
    error_log = _state(stack) / "log" / "apache-error.log"
    start = error_log.stat().st_size
    ticket = kinit("alice") if with_ticket else None
    statuses = {cookie: curl(stack, path, ticket, "-H", f"Cookie: {cookie}").status
                for cookie in MALFORMED_COOKIES}
    assert statuses == dict.fromkeys(MALFORMED_COOKIES, 403)
    assert gunicorn_requests() == 0
    # The parent logs a crashed child when it reaps it, within its one-second maintenance loop.
    time.sleep(1.5)
    with error_log.open("rb") as handle:
        handle.seek(start)
        assert SEGFAULT not in handle.read().decode(errors="replace")


def test_well_formed_cookie_passes_the_guard(stack, kinit):
    # The control: the guard is not a blanket refusal of the cookie.
    ticket = kinit("alice")
    for cookie in GOOD_COOKIES:
        assert curl(stack, "whoami", None, "-H", f"Cookie: {cookie}").status == 401
        assert curl(stack, "whoami", ticket, "-H", f"Cookie: {cookie}").status == 200


# --- another user's jobs, with Slurm's PrivateData off -------------------------------------------


@pytest.fixture
def bobs_job(api, cleanup_jobs) -> dict[str, str]:
    """A held job of bob's with a distinctive name, submitted with an Idempotency-Key."""
    out = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                         check=True).stdout
    private = next(line for line in out.splitlines() if line.startswith("PrivateData"))
    assert private.split("=", 1)[1].strip() == "none", "these tests assume PrivateData off"
    name = f"bob-secret-{uuid.uuid4().hex[:8]}"
    key = f"attack-{uuid.uuid4().hex}"
    body = {**HELD, "job-name": name}
    job_id = _submit(api("bob"), body, headers={"Idempotency-Key": key})
    cleanup_jobs.append(job_id)
    # Slurm itself would show it to anyone: the filter is hpcapi's.
    squeue = subprocess.run(["runuser", "-u", "alice", "--", "squeue", "-h", "-o", "%i %j"],
                            capture_output=True, text=True, check=True).stdout
    assert f"{job_id} {name}" in squeue
    return {"id": job_id, "name": name, "key": key, "body": json.dumps(body)}


def test_bobs_job_is_in_no_answer_alice_gets(api, bobs_job, cleanup_jobs):
    alice = api("alice")
    own = _submit(alice, HELD)
    cleanup_jobs.append(own)
    answers = {
        "query_status": alice.get("query_status"),
        "query_status_168": alice.get("query_status?hours=168"),
        "partitions": alice.get("partitions"),
        "whoami": alice.get("whoami"),
    }
    for what, response in answers.items():
        assert response.status_code == 200, (what, response.text)
        assert bobs_job["name"] not in response.text, what
        assert f'"{bobs_job["id"]}"' not in response.text, what
    jobs = {k: v for k, v in answers["query_status"].json().items()
            if k not in ("status", "reason")}
    assert own in jobs
    assert {job["user"] for job in jobs.values()} == {"alice"}


@pytest.mark.parametrize("form", ["{id}", "0{id}", "{id}.batch", "{id}_0", "{id}+0", " {id}"])
def test_bobs_job_in_any_spelling_is_not_found_for_alice(api, bobs_job, form):
    alice = api("alice")
    job = form.format(id=bobs_job["id"])
    unknown = form.format(id="99999999")
    response = alice.get(f"job/{job}")
    assert response.status_code == 404, response.text
    assert response.json()["reason"] == "job_not_found"
    assert bobs_job["name"] not in response.text
    # Not even an oracle: the answer is the one for a job that does not exist.
    assert (response.json()["message"].replace(bobs_job["id"], "N")
            == alice.get(f"job/{unknown}").json()["message"].replace("99999999", "N"))
    deleted = alice.session.delete(f"{alice.url}/job/{job}", timeout=30)
    assert deleted.status_code == 404
    assert alice.post_json("cancel_job", {"jobid": job}).status_code in (400, 404)
    assert scontrol_job(bobs_job["id"])["JobState"] == "PENDING"


def test_cancel_bobs_job_by_json_number_is_not_found(api, bobs_job):
    response = api("alice").post_json("cancel_job", {"jobid": int(bobs_job["id"])})
    assert response.status_code == 404
    assert scontrol_job(bobs_job["id"])["JobState"] == "PENDING"


@pytest.mark.parametrize(
    "dependency",
    ["afterany:{own}:{bob}", "afterok:{own}?afternotok:{bob}", "afterok:{own},afterany:{bob}",
     "aftercorr:{bob}", "after:{bob}+1", "afterburstbuffer:{bob}", "afterok:{bob}_0"],
)
@pytest.mark.parametrize("dry_run", [False, True], ids=["submit", "dry-run"])
def test_dependency_hiding_bobs_job_is_refused(api, bobs_job, cleanup_jobs, dependency, dry_run):
    alice = api("alice")
    own = _submit(alice, HELD)
    cleanup_jobs.append(own)
    before = slurm_job_ids()
    path = "submit_job?dry_run=1" if dry_run else "submit_job"
    response = alice.post_json(path, {
        "partition": "quick", "script-body": SCRIPT,
        "dependency": dependency.format(own=own, bob=bobs_job["id"]),
    })
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "bad_dependency"
    assert bobs_job["name"] not in response.text
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)


def test_bobs_idempotency_key_does_not_reach_bobs_job(api, bobs_job, cleanup_jobs):
    response = api("alice").post_json("submit_job", bobs_job["body"],
                                      headers={"Idempotency-Key": bobs_job["key"]})
    assert response.status_code == 200, response.text
    job_id = response.json()["reason"]
    cleanup_jobs.append(job_id)
    assert job_id != bobs_job["id"]
    assert not response.json().get("idempotent_replay")
    assert scontrol_job(job_id)["UserId"].startswith("alice(")


# --- the service's environment and credentials stay out of jobs ---------------------------------


def test_job_sees_nothing_of_the_service(stack, api, cleanup_jobs):
    state = _state(stack)
    gunicorn_pid = (state / "hpcapi" / "run" / "gunicorn.pid").read_text().strip()
    workers = subprocess.run(["pgrep", "-P", gunicorn_pid], capture_output=True, text=True
                             ).stdout.split()
    cluster_key = Path(stack["HPCAPI_DEV_SLURM_STATE"]) / "slurm" / "etc" / "jwt_hs256.key"
    targets = [state / "hpcapi" / "etc" / "jwt_hs256.key", state / "hpcapi" / "etc" / "hpcapi.conf",
               *(state / "hpcapi" / "etc").glob("jwt_rs256.pem"),  # 25.11's RS256 key
               cluster_key, Path(f"/proc/{gunicorn_pid}/environ"),
               *[Path(f"/proc/{pid}/environ") for pid in workers]]
    script = "#!/bin/bash\necho ENV-BEGIN\nenv\necho ENV-END\n" + "".join(
        f"if cat {t} >/dev/null 2>&1; then echo READ-OK {t}; else echo READ-DENIED {t}; fi\n"
        for t in targets
    )
    job_id = _submit(api("alice"), {"partition": "quick", "script-body": script})
    cleanup_jobs.append(job_id)
    wait_for_state(job_id, TERMINAL)
    output = Path(f"/home/alice/slurm-{job_id}.out").read_text()
    assert "ENV-END" in output
    environment = output.split("ENV-BEGIN\n", 1)[1].split("ENV-END", 1)[0]
    names = {line.split("=", 1)[0] for line in environment.splitlines() if "=" in line}
    assert not {n for n in names if n.startswith(("HPCAPI", "GUNICORN", "SLURM_JWT", "KRB5"))}
    assert "service-environment-must-not-leak" not in output
    assert "eyJ" not in output  # no JWT (base64 of '{"') anywhere
    key = (state / "hpcapi" / "etc" / "jwt_hs256.key").read_bytes()
    assert key.hex() not in output and base64.b64encode(key).decode() not in output
    assert "READ-OK" not in output
    assert output.count("READ-DENIED") == len(targets)


# --- output and working-directory fields never make hpcapi touch files --------------------------


@pytest.fixture
def victim(shared_tmp) -> Path:
    """A root-owned file any job could name as its output; it must stay as it is."""
    path = shared_tmp / "victim"
    path.write_text("untouched\n")
    path.chmod(0o644)
    return path


def test_output_paths_are_passed_on_verbatim_in_a_dry_run(stack, api):
    etc = _state(stack) / "hpcapi" / "etc"
    fields = {"output": f"{etc}/pwned-%j", "error": "/root/pwned-%j",
              "working-directory": "/root"}
    before = slurm_job_ids()
    response = api("alice").post_json("submit_job?dry_run=1", {**HELD, **fields})
    assert response.status_code == 200, response.text
    job = response.json()["job"]["job"]
    assert job["standard_output"] == fields["output"]
    assert job["standard_error"] == fields["error"]
    assert job["current_working_directory"] == "/root"
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)
    assert not list(etc.glob("pwned-*")) and not list(Path("/root").glob("pwned-*"))


def test_job_writing_where_only_the_service_or_root_may_writes_nothing(
    stack, api, cleanup_jobs, victim
):
    etc = _state(stack) / "hpcapi" / "etc"
    victim_before = victim.stat()
    jobs = []
    for fields in (
        {"output": f"{etc}/pwned-%j", "error": "/root/pwned-%j"},
        {"output": str(victim), "working-directory": "/root"},
        {"output": f"{etc}/hpcapi.conf"},
    ):
        job_id = _submit(api("alice"), {
            "partition": "quick",
            "script-body": "#!/bin/bash\necho pwned\necho pwned > pwned-$SLURM_JOB_ID\n",
            **fields,
        })
        cleanup_jobs.append(job_id)
        jobs.append(job_id)
    for job_id in jobs:
        wait_for_state(job_id, TERMINAL)
    config_text = (etc / "hpcapi.conf").read_text()
    assert "[identity]" in config_text and "pwned" not in config_text
    assert not list(etc.glob("pwned-*"))
    assert not list(Path("/root").glob("pwned-*"))
    assert victim.read_text() == "untouched\n"
    assert victim.stat().st_mtime == victim_before.st_mtime


def test_job_detail_names_output_paths_but_never_reads_them(api, cleanup_jobs):
    alice = api("alice")
    job_id = _submit(alice, {**HELD, "output": "/etc/shadow", "error": "/etc/hpcapi-%j.err",
                             "working-directory": "/root"})
    cleanup_jobs.append(job_id)
    response = alice.get(f"job/{job_id}")
    assert response.status_code == 200, response.text
    detail = response.json()["job"]
    assert detail["output"] == "/etc/shadow"
    assert detail["error"] == f"/etc/hpcapi-{job_id}.err"
    assert detail["working_directory"] == "/root"
    assert "root:" not in response.text  # nothing of /etc/shadow's content


@pytest.mark.parametrize(
    ("field", "value"),
    [(field, value) for field in ("output", "error", "working-directory")
     for value in ("/tmp/a\u0000b", "/tmp/a\nb", "/tmp/a\rb")]
    + [("working-directory", "../../root"), ("working-directory", "root")],
)
def test_output_fields_with_nul_newline_or_relative_directory_are_bad_parameter(
    api, field, value
):
    before = slurm_job_ids()
    response = api("alice").post_json("submit_job", {**HELD, field: value})
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "bad_parameter"
    assert field in response.json()["message"]
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)
