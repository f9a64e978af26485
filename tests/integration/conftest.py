"""Fixtures for tests against the running dev stack (dev/stack up): real KDC, Apache, Slurm."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REALM = "HPCAPI.TEST"


def _stack_env() -> dict[str, str]:
    out = subprocess.run(
        [str(REPO / "dev" / "stack"), "env"], check=True, capture_output=True, text=True
    ).stdout
    env = {}
    for line in out.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = shlex.split(value)[0] if value else ""
    return env


@pytest.fixture(scope="session")
def stack() -> dict[str, str]:
    """The dev stack's `dev/stack env` variables; fails if the stack is not up."""
    env = _stack_env()
    status = subprocess.run([str(REPO / "dev" / "stack"), "status"], capture_output=True, text=True)
    if status.returncode != 0:
        pytest.fail(f"the dev stack is not up (run dev/stack up):\n{status.stdout}")
    # In-process Kerberos (gssapi) reads KRB5_CONFIG from this process's environment.
    os.environ.update(env)
    return env


@dataclass(frozen=True)
class SlurmApi:
    """What the chosen cluster's slurmrestd serves (BUILD-25.11.md, NOTES.md)."""

    newest: str  # the version hpcapi's api_version = auto takes
    offered: str  # as hpcapi's start-up message lists them
    unoffered: str  # a version hpcapi speaks that this slurmrestd does not serve


SLURM_APIS = {
    "22.05": SlurmApi("v0.0.38", "v0.0.38", "v0.0.42"),
    "25.11": SlurmApi("v0.0.44", "v0.0.41, v0.0.42, v0.0.43, v0.0.44", "v0.0.40"),
}


@pytest.fixture(scope="session")
def slurm_api(stack: dict[str, str]) -> SlurmApi:
    """The API versions of the dev stack's chosen Slurm release."""
    return SLURM_APIS[stack["HPCAPI_DEV_SLURM"]]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test marked ``slurm_release(...)`` on the other releases (its reason says why)."""
    marker = item.get_closest_marker("slurm_release")
    if marker is None:
        return
    release = _stack_env()["HPCAPI_DEV_SLURM"]
    if release not in marker.args:
        pytest.skip(f"Slurm {' and '.join(marker.args)} only: {marker.kwargs['reason']}")


@dataclass
class Ticket:
    """A Kerberos credential cache holding one principal's TGT, for curl and the clients."""

    principal: str
    ccache: str
    env: dict[str, str]


@pytest.fixture
def kinit(stack: dict[str, str], tmp_path: Path):
    """kinit(name) -> Ticket, from the principal's dev keytab (alice, bob, svc-pipeline...)."""

    def get(keytab_name: str, principal: str | None = None) -> Ticket:
        principal = principal or f"{keytab_name}@{REALM}"
        ccache = f"FILE:{tmp_path}/cc_{keytab_name}"
        env = {**os.environ, **stack, "KRB5CCNAME": ccache}
        keytab = f"{stack['HPCAPI_DEV_KEYTABS']}/{keytab_name}.keytab"
        subprocess.run(["kinit", "-k", "-t", keytab, principal], env=env, check=True)
        return Ticket(principal, ccache, env)

    return get


@dataclass
class CurlResult:
    """One HTTP exchange as curl saw it."""

    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> dict:
        return json.loads(self.body)


def curl(
    stack: dict[str, str], path: str, ticket: Ticket | None = None, *args: str
) -> CurlResult:
    """curl (with --negotiate when a ticket is given) against $HPCAPI_URL/<path>."""
    env = ticket.env if ticket else {**os.environ, **stack, "KRB5CCNAME": "FILE:/nonexistent"}
    command = ["curl", "-sS", "-D", "-", "--max-time", "60"]
    if ticket:
        command += ["--negotiate", "-u", ":"]
    command += [*args, f"{stack['HPCAPI_URL']}/{path.lstrip('/')}"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    # With --negotiate, curl prints the 401 challenge's headers first: keep the last response.
    # (text mode has turned curl's CRLF into LF)
    blocks = out.split("\n\n")
    head_index = max(i for i, block in enumerate(blocks[:-1]) if block.startswith("HTTP/"))
    head = blocks[head_index].split("\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return CurlResult(status, headers, "\n\n".join(blocks[head_index + 1 :]))


@pytest.fixture
def gunicorn_requests(stack: dict[str, str]) -> Iterator[callable]:
    """A counter of requests that reached gunicorn (its access log) since the test began."""
    log = Path(stack["HPCAPI_DEV_STATE"]) / "log" / "gunicorn-access.log"
    start = log.stat().st_size if log.exists() else 0

    def count() -> int:
        with log.open("rb") as handle:
            handle.seek(start)
            return sum(1 for _ in handle)

    yield count


class Api:
    """requests + requests-gssapi as one principal, from its keytab (no kinit), via Apache."""

    def __init__(self, stack: dict[str, str], keytab_name: str, principal: str) -> None:
        import gssapi
        import requests
        from requests_gssapi import OPTIONAL, HTTPSPNEGOAuth

        name = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
        store = {
            "client_keytab": f"{stack['HPCAPI_DEV_KEYTABS']}/{keytab_name}.keytab",
            "ccache": f"MEMORY:test-{keytab_name}",
        }
        creds = gssapi.Credentials(name=name, usage="initiate", store=store)
        self.url = stack["HPCAPI_URL"]
        self.session = requests.Session()
        self.session.verify = stack["REQUESTS_CA_BUNDLE"]
        self.session.auth = HTTPSPNEGOAuth(
            creds=creds, opportunistic_auth=True, mutual_authentication=OPTIONAL
        )

    def get(self, path: str, **kwargs):
        return self.session.get(f"{self.url}/{path}", timeout=60, **kwargs)

    def post_json(self, path: str, body, **kwargs):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        return self.session.post(
            f"{self.url}/{path}", data=data, headers=headers, timeout=60, **kwargs
        )


@pytest.fixture
def api(stack: dict[str, str]):
    """api(name) -> Api for alice, bob, svc-pipeline (keytab names of the dev stack)."""

    def make(keytab_name: str, principal: str | None = None) -> Api:
        return Api(stack, keytab_name, principal or f"{keytab_name}@{REALM}")

    return make


def slurm_job_ids() -> set[str]:
    """Every job id slurmctld holds (pending, running, finished within MinJobAge)."""
    out = subprocess.run(
        ["squeue", "-h", "--states=all", "-o", "%i"], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def scontrol_job(job_id: int | str) -> dict[str, str]:
    """`scontrol show job` as a dict of its Key=Value fields."""
    out = subprocess.run(
        ["scontrol", "-o", "show", "job", str(job_id)], capture_output=True, text=True, check=True
    ).stdout
    fields = {}
    for item in out.split():
        key, _, value = item.partition("=")
        fields[key] = value
    return fields


@pytest.fixture
def cleanup_jobs(stack: dict[str, str]) -> Iterator[list]:
    """A list the test appends job ids to; they are cancelled afterwards."""
    jobs: list = []
    yield jobs
    if jobs:
        subprocess.run(["scancel", *map(str, jobs)], capture_output=True)


class OwnServer:
    """An hpcapi-server of a test's own (gunicorn, one worker, as root) on its own socket, over
    the dev stack's slurmrestd, with a copy of the stack's configuration (its ``conf``)."""

    def __init__(self, place: Path) -> None:
        self.place = place
        self.conf = place / "hpcapi.conf"
        self.socket = place / "gunicorn.sock"
        self.log = place / "error.log"
        self.pidfile = place / "gunicorn.pid"

    def call(self, method: str, path: str, body: dict | None = None,
             principal: str = "alice@HPCAPI.TEST") -> tuple[int, dict]:
        """(HTTP status, JSON answer) of one request as ``principal``, as Apache would send it."""
        command = ["curl", "-sS", "--max-time", "30", "--unix-socket", str(self.socket),
                   "-X", method, "-w", "\\n%{http_code}", "-H", f"X-Remote-User: {principal}"]
        if body is not None:
            command += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
        out = subprocess.run([*command, f"http://localhost/hpcapi/{path}"], capture_output=True,
                             text=True, check=True).stdout
        answer, _, status = out.rpartition("\n")
        return int(status), json.loads(answer)

    def partition_names(self) -> list[str]:
        """The partitions alice is offered (what allowed_partitions says)."""
        status, body = self.call("GET", "partitions")
        assert status == 200, body
        return [p["name"] for p in body["partitions"]]

    def hup_and_wait(self, log_line: str) -> None:
        """HUP the master; return once its log has ``log_line`` and the new workers answer."""
        before = self.log.read_text().count(log_line)
        os.kill(int(self.pidfile.read_text()), signal.SIGHUP)
        deadline = time.monotonic() + 30
        while self.log.read_text().count(log_line) == before:
            assert time.monotonic() < deadline, self.log.read_text()[-2000:]
            time.sleep(0.1)
        time.sleep(2)  # the old workers' graceful exit; the new ones are booting


@pytest.fixture
def own_server(stack: dict[str, str]) -> Iterator[Callable[..., OwnServer]]:
    """own_server(submit="...") starts an OwnServer whose [submit] also holds ``submit``."""
    started: list[OwnServer] = []

    def start(submit: str = "") -> OwnServer:
        served = OwnServer(Path(tempfile.mkdtemp(prefix="hpcapi-own-")))
        (served.place / "state").mkdir()
        site = Path(stack["HPCAPI_DEV_STATE"]) / "hpcapi" / "etc" / "hpcapi.conf"
        lines = [f"directory = {served.place / 'state'}" if line.startswith("directory =")
                 else line for line in site.read_text().splitlines()]
        text = "\n".join(lines) + "\n"
        served.conf.write_text(text.replace("[submit]\n", f"[submit]\n{submit}", 1))
        server = str(Path(sys.executable).parent / "hpcapi-server")
        subprocess.run([server, "serve", "-c", str(REPO / "systemd" / "gunicorn.conf.py"),
                        "--bind", f"unix:{served.socket}", "--pid", str(served.pidfile),
                        "--error-logfile", str(served.log), "--access-logfile", "/dev/null",
                        "--workers", "1", "--daemon"],
                       env={"PATH": "/usr/bin:/bin", "HPCAPI_CONFIG": str(served.conf)},
                       check=True, cwd="/")
        started.append(served)
        deadline = time.monotonic() + 30
        while not (served.socket.exists() and served.pidfile.exists()):
            assert time.monotonic() < deadline, "hpcapi-server did not start"
            time.sleep(0.1)
        return served

    yield start
    for served in started:
        os.kill(int(served.pidfile.read_text()), signal.SIGTERM)
        deadline = time.monotonic() + 30
        while served.pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(served.place)
