"""hpcapi's speed, against what Slurm itself costs, in one run on the dev stack's chosen Slurm.

In process: N sequential calls each of ping, a history (bob's 24 hours), a held submit and a
keyed held submit (a fresh Idempotency-Key each), three ways taken in turn, each way on one
keep-alive connection:
  direct   slurmrestd with a per-user JWT: the baseline. Its history is what hpcapi asks Slurm
           for one (the accounting window of history_query); its keyed submit is a plain one
           (Slurm has no keys)
  app      gunicorn's unix socket with the identity header (hpcapi's own cost added)
  full     https through Apache with Kerberos (a SPNEGO token on every request)
hpcapi keeps a history answer for [history] max_staleness and then asks only what changed, so
app and full histories are what a poller pays, not a first fetch (bench/scale measures those).

As whole processes (wall clock from start to exit), R runs each, taken in turn: `hpcapi submit
--hold` (the venv's CLI) and `curl --negotiate` through Apache, both with bob's ticket; local
`sbatch -H` as bob; `ssh` to a private sshd on loopback running `sbatch -H` as bob; and
`hpcapi --version`. Then the Python client (hpcapi.client) against a bare requests-gssapi
session to the same URL: ping, submit and keyed submit.

Prints p50s, p90s, every ratio and each goal met or not, the gunicorn workers' memory before and
after, and a last line of JSON with every figure. Every job is held, and cancelled after each
part. Loopback only. Run as root through bench/run, which holds the stack lock and brings the
chosen cluster up: bench/run [N] [--runs R]   (HPCAPI_DEV_SLURM=25.11 bench/run for 25.11)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gssapi
import jwt
import requests
from requests.adapters import HTTPAdapter
from requests_gssapi import OPTIONAL, HTTPSPNEGOAuth

# The repository, not this directory: run as a script, this file's directory comes first on
# sys.path, where bench.py (this file) would shadow the bench package and hpcapi would be the
# venv's installed copy instead of the checkout's.
sys.path[0] = str(Path(__file__).resolve().parents[1])
from bench import loadgen  # noqa: E402
from hpcapi.client.api import HpcapiClient  # noqa: E402
from hpcapi.client.gss import Credential  # noqa: E402
from hpcapi.model import JobDescription  # noqa: E402
from hpcapi.slurm.endpoints import endpoints, history_query  # noqa: E402
from hpcapi.slurm.submit_body import render_submit_body  # noqa: E402
from hpcapi.slurm.versions import SUPPORTED_API_VERSIONS, versions_in_spec  # noqa: E402

USER = "bob"
REALM = "HPCAPI.TEST"
PRINCIPAL = f"{USER}@{REALM}"
JOB_NAME = "hpcapi-bench"  # every job this bench makes, whichever way: the final sweep's filter
SCRIPT = "#!/bin/bash\ntrue\n"
HELD = {"partition": "quick", "script-body": SCRIPT, "hold": True, "job-name": JOB_NAME}
# The script the whole-process commands submit: its directives say what HELD says.
JOB_SH = f"#!/bin/bash\n#SBATCH --partition=quick\n#SBATCH --job-name={JOB_NAME}\ntrue\n"
DAY = 86_400  # query_status's default window ([history] default_hours = 24)
SUBMITTED_RE = re.compile(r"Submitted batch job (\d+)")
MIN_RUNS = 15


def api_version(rest: str, session: requests.Session) -> str:
    """The newest API version both this slurmrestd and hpcapi speak."""
    offered = versions_in_spec(session.get(f"{rest}/openapi/v3", timeout=60).json())
    return [v for v in SUPPORTED_API_VERSIONS if v in offered][-1]


class UnixAdapter(HTTPAdapter):
    """requests over gunicorn's unix socket (the path Apache takes)."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        super().__init__()

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        """One pool of connections to the socket, whatever the URL's host."""
        from urllib3.connection import HTTPConnection
        from urllib3.connectionpool import HTTPConnectionPool

        path = self.socket_path

        class Connection(HTTPConnection):
            def connect(self) -> None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)

        class Pool(HTTPConnectionPool):
            ConnectionCls = Connection

        if not hasattr(self, "_pool"):
            self._pool = Pool("localhost")
        return self._pool


class Jobs:
    """The held jobs this run made, by id: cancelled after each part and at the end."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    def add(self, job_id: object, answer: object) -> None:
        """Keep ``job_id``; stop the run when the submission named none (``answer`` says why)."""
        text = str(job_id or "")
        if not text.isdigit():
            raise SystemExit(f"submit failed: {answer}")
        self.ids.append(text)

    def cancel(self) -> None:
        """Cancel every job kept so far (scancel takes many ids in one call)."""
        ids, self.ids = self.ids, []
        for start in range(0, len(ids), 200):
            subprocess.run(["scancel", *ids[start:start + 200]], check=False, timeout=120)

    @staticmethod
    def sweep() -> None:
        """Cancel any job of this bench's that a lost answer kept out of the ids."""
        subprocess.run(["scancel", "--user", USER, "--name", JOB_NAME], check=False, timeout=120)


def in_turn(variants: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """``runs`` timed calls of each variant after one untimed call of each, taken in turn with
    the first rotating (drift in the machine's state falls on every variant alike): the
    milliseconds of each, by variant."""
    names = list(variants)
    for name in names:
        variants[name]()  # warm-up: connection, tickets, worker imports, page cache
    samples: dict[str, list[float]] = {name: [] for name in names}
    for run in range(runs):
        shift = run % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            variants[name]()
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def p50(samples: list[float]) -> float:
    """The median."""
    return statistics.median(samples)


def p90(samples: list[float]) -> float:
    """The 90th percentile."""
    return statistics.quantiles(samples, n=10)[-1]


def workers_rss_kib(state: str) -> int:
    """The gunicorn workers' resident memory, together."""
    return sum(loadgen.workers_rss_kib(state).values())


class Stack:
    """Where the dev stack's parts are, from `dev/stack env`'s variables."""

    def __init__(self) -> None:
        env = os.environ
        self.release = env.get("HPCAPI_DEV_SLURM", "?")
        self.rest = env["HPCAPI_DEV_SLURMRESTD"]
        self.slurm_state = Path(env["HPCAPI_DEV_SLURM_STATE"])
        self.state = Path(env["HPCAPI_DEV_STATE"])
        self.keytabs = Path(env.get("HPCAPI_DEV_KEYTABS", str(self.state / "keytabs")))
        self.url = env.get("HPCAPI_URL", "https://localhost:8443/hpcapi").rstrip("/")
        self.ca = env.get("REQUESTS_CA_BUNDLE") or str(self.state / "tls" / "ca.crt")
        self.slurm_conf = env["SLURM_CONF"]
        self.cli = str(Path(env.get("HPCAPI_DEV_ROOT", "/var/lib/hpcapi-dev"), "venv/bin/hpcapi"))
        served_file = self.state / "slurm-release"
        served = served_file.read_text().strip() if served_file.exists() else "?"
        if served != self.release:
            # The direct baseline would be another cluster's than the one hpcapi serves.
            raise SystemExit(f"hpcapi serves Slurm {served}, not {self.release}: run through "
                             "bench/run, which brings the chosen cluster up")
        self.sbatch = self._sbatch()

    def _sbatch(self) -> str:
        """The chosen release's sbatch (dev/stack env puts its clients first in PATH)."""
        path = shutil.which("sbatch")
        if path is None:
            raise SystemExit("no sbatch in PATH: eval \"$(dev/stack env)\" first")
        version = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout.split()
        if not version or not version[-1].startswith(f"{self.release}."):
            raise SystemExit(f"{path} is {' '.join(version)}, not Slurm {self.release}")
        return path

    def direct_session(self, user: str) -> requests.Session:
        """A session to the chosen cluster's slurmrestd as ``user`` (a JWT from its key)."""
        key = (self.slurm_state / "slurm" / "etc" / "jwt_hs256.key").read_bytes()
        now = int(time.time())
        token = jwt.encode({"iat": now, "exp": now + 3600, "sun": user}, key, algorithm="HS256")
        session = requests.Session()
        session.headers.update({"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token})
        return session


def in_process(stack: Stack, version: str, n: int, jobs: Jobs) -> dict[str, dict[str, list[float]]]:
    """ping, history, submit and keyed submit, direct, through gunicorn and through Apache."""
    account = pwd.getpwnam(USER)
    direct = stack.direct_session(USER)
    app = requests.Session()
    app.mount("http://hpcapi/", UnixAdapter(str(stack.state / "hpcapi" / "sock" / "gunicorn.sock")))
    app.headers["X-Remote-User"] = PRINCIPAL
    name = gssapi.Name(PRINCIPAL, gssapi.NameType.kerberos_principal)
    store: dict[bytes | str, bytes | str] = {
        "client_keytab": str(stack.keytabs / f"{USER}.keytab"), "ccache": "MEMORY:bench"}
    creds = gssapi.Credentials(name=name, usage="initiate", store=store)
    full = requests.Session()
    full.verify = stack.ca
    full.auth = HTTPSPNEGOAuth(creds=creds, opportunistic_auth=True,
                               mutual_authentication=OPTIONAL)
    url, via = stack.url, "http://hpcapi/hpcapi"
    paths = endpoints(version)
    job = JobDescription(
        script=SCRIPT, name=JOB_NAME, partition="quick", working_directory=account.pw_dir,
        standard_output="/dev/null",
        environment=(("PATH", "/usr/bin:/bin"), ("HOME", account.pw_dir), ("USER", USER)),
        hold=True)
    direct_body = render_submit_body(version, job)

    def slurm_submit() -> None:
        answer = direct.post(f"{stack.rest}{paths.submit.path()}", json=direct_body, timeout=60)
        body = answer.json()
        jobs.add(body.get("job_id"), f"{answer.status_code} {body.get('errors')}")

    def api_submit(session: requests.Session, base: str, keyed: bool = False) -> None:
        headers = {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"} if keyed else {}
        answer = session.post(f"{base}/submit_job", json=HELD, headers=headers, timeout=60)
        body = answer.json()
        ok = answer.status_code == 200 and body.get("status") == "call_success"
        jobs.add(body.get("jobid") if ok else None, f"{answer.status_code} {body}")

    def get(session: requests.Session, target: str, **params: str) -> None:
        session.get(target, params=params, timeout=300).raise_for_status()

    def direct_history() -> None:
        # What hpcapi asks Slurm for one history: the accounting window, nothing of slurmctld's.
        query = history_query(version, USER, account.pw_gid, DAY, time.time())
        get(direct, f"{stack.rest}{paths.accounting_jobs.path()}", **query)

    operations: dict[str, dict[str, Callable[[], object]]] = {
        "ping": {
            "direct": lambda: get(direct, f"{stack.rest}{paths.ping.path()}"),
            "app": lambda: get(app, f"{via}/ping"),
            "full": lambda: get(full, f"{url}/ping"),
        },
        "history": {
            "direct": direct_history,
            "app": lambda: get(app, f"{via}/query_status"),
            "full": lambda: get(full, f"{url}/query_status"),
        },
        "submit": {
            "direct": slurm_submit,
            "app": lambda: api_submit(app, via),
            "full": lambda: api_submit(full, url),
        },
        "keyed submit": {
            "direct": slurm_submit,
            "app": lambda: api_submit(app, via, keyed=True),
            "full": lambda: api_submit(full, url, keyed=True),
        },
    }
    results: dict[str, dict[str, list[float]]] = {}
    for operation, variants in operations.items():
        count = max(20, n // 10) if operation == "history" else n
        results[operation] = in_turn(variants, count)
        # Held jobs left pending would weigh on the next history and on slurmctld.
        jobs.cancel()
    return results


def free_port() -> int:
    """A free TCP port on loopback (the kernel's choice among the high ones)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pid_written(path: Path) -> bool:
    """Whether a daemon has written its pid into ``path`` yet."""
    try:
        return bool(path.read_bytes().strip())
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def private_sshd(workdir: Path, user: str) -> Iterator[list[str]]:
    """An sshd of this run's own on loopback that lets ``user`` in with a key made for it;
    yields the ssh command line that reaches it (the remote command to add), and stops it."""
    sshd = Path("/usr/sbin/sshd")
    if not sshd.exists():
        raise SystemExit("no /usr/sbin/sshd: bench/run installs openssh-server")
    home = workdir / "sshd"
    home.mkdir(mode=0o755)
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "hpcapi-bench",
                        "-f", str(home / key)], check=True, timeout=30)
    authorized = home / "authorized_keys"
    authorized.write_text((home / "client_key.pub").read_text())
    authorized.chmod(0o644)  # sshd reads it as the user
    port = free_port()
    known_hosts = home / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {(home / 'host_key.pub').read_text()}")
    config = home / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {home / 'host_key'}",
        f"PidFile {home / 'sshd.pid'}",  # not the system's /run/sshd.pid
        f"AuthorizedKeysFile {authorized}",
        f"AllowUsers {user}",
        "AuthenticationMethods publickey",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "GSSAPIAuthentication no",
        "PermitRootLogin no",
        # The keys live under /tmp (world-writable), which strict modes refuse.
        "StrictModes no",
        # The dev users have no password ("!" in /etc/shadow): without PAM, OpenSSH counts
        # that as a locked account and refuses even a key (auth.c, allowed_user()). With
        # Debian's PAM stack, as a real login node has.
        "UsePAM yes",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        "X11Forwarding no",
        "LogLevel ERROR",
        "",
    ]))
    # sshd's privilege separation directory, made by its init script or systemd otherwise.
    privsep = Path("/run/sshd")
    made_privsep = not privsep.exists()
    if made_privsep:
        privsep.mkdir(mode=0o755)
    log_path = home / "sshd.log"
    with log_path.open("wb") as log:
        # -D: no daemon, so that this run holds its pid; -e: errors into the log.
        server = subprocess.Popen([str(sshd), "-D", "-e", "-f", str(config)],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        # sshd writes its pid file once its socket listens (sshd.c, after server_listen()):
        # a probe connection instead would leave a kex error in its log.
        deadline = time.monotonic() + 10
        while not pid_written(home / "sshd.pid"):
            if server.poll() is not None:
                raise SystemExit(f"private sshd exited {server.returncode}: "
                                 f"{log_path.read_text(errors='replace').strip()}")
            if time.monotonic() > deadline:
                raise SystemExit("private sshd did not listen within 10 s")
            time.sleep(0.05)
        # No connection sharing (ControlMaster): each ssh makes its own, as a script that
        # runs `ssh login-node sbatch ...` does. Nothing of root's ssh configuration.
        yield ["ssh", "-F", "/dev/null", "-p", str(port), "-i", str(home / "client_key"),
               "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
               "-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes",
               f"{user}@127.0.0.1"]
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        if made_privsep:
            with contextlib.suppress(OSError):
                privsep.rmdir()


def run_command(command: list[str], **kwargs: Any) -> str:
    """Run one command to its end; its stdout, or stop the run with its stderr."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(command)}: exit {done.returncode}: "
                         f"{(done.stderr or done.stdout).strip()}")
    return done.stdout


def submitted(jobs: Jobs, output: str) -> None:
    """Keep the job id of sbatch's (or `hpcapi submit`'s) 'Submitted batch job N'."""
    match = SUBMITTED_RE.search(output)
    jobs.add(match[1] if match else None, output.strip())


def whole_process(stack: Stack, workdir: Path, ccache: Path, runs: int,
                  jobs: Jobs) -> dict[str, list[float]]:
    """Each command timed from start to exit, ``runs`` times, in turn with the others."""
    account = pwd.getpwnam(USER)
    job_sh = workdir / "job.sh"
    job_sh.write_text(JOB_SH)
    job_sh.chmod(0o644)  # sbatch reads it as bob
    body = workdir / "submit.json"
    body.write_text(json.dumps(HELD))
    # As root with bob's ticket: the CLI and curl take the identity from the ticket alone.
    client_env = dict(os.environ, KRB5CCNAME=f"FILE:{ccache}", HPCAPI_URL=stack.url,
                      REQUESTS_CA_BUNDLE=stack.ca, CURL_CA_BUNDLE=stack.ca)
    # What bob's own shell would hold; setpriv (one small exec) keeps it as it is given.
    bob_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": account.pw_dir, "USER": USER,
               "LOGNAME": USER, "SHELL": account.pw_shell, "SLURM_CONF": stack.slurm_conf}
    as_bob = ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}",
              "--init-groups", "--"]
    remote = (f"SLURM_CONF={shlex.quote(stack.slurm_conf)} {shlex.quote(stack.sbatch)} -H "
              f"{shlex.quote(str(job_sh))}")

    def cli_submit() -> None:
        submitted(jobs, run_command([stack.cli, "submit", "--hold", str(job_sh)],
                                    env=client_env, cwd=account.pw_dir))

    def curl_submit() -> None:
        output = run_command(
            ["curl", "-sS", "--negotiate", "-u", ":", "--cacert", stack.ca, "-X", "POST",
             "-H", "Content-Type: application/json", "--data-binary", f"@{body}",
             f"{stack.url}/submit_job"], env=client_env)
        answer = json.loads(output)
        jobs.add(answer.get("jobid") if answer.get("status") == "call_success" else None, output)

    def local_sbatch() -> None:
        submitted(jobs, run_command([*as_bob, stack.sbatch, "-H", str(job_sh)], env=bob_env,
                                    cwd=account.pw_dir))

    def cli_version() -> None:
        if "hpcapi" not in run_command([stack.cli, "--version"], env=client_env):
            raise SystemExit("hpcapi --version printed no version")

    with private_sshd(workdir, USER) as ssh:
        def ssh_sbatch() -> None:
            submitted(jobs, run_command([*ssh, remote]))

        return in_turn({
            "hpcapi submit": cli_submit,
            "curl submit": curl_submit,
            "sbatch": local_sbatch,
            "ssh + sbatch": ssh_sbatch,
            "hpcapi --version": cli_version,
        }, runs)


def client_library(stack: Stack, ccache: Path, n: int,
                   jobs: Jobs) -> dict[str, dict[str, list[float]]]:
    """hpcapi.client's per-call cost against a bare requests-gssapi session, same ticket."""
    name = gssapi.Name(PRINCIPAL, gssapi.NameType.kerberos_principal)
    store: dict[bytes | str, bytes | str] = {"ccache": f"FILE:{ccache}"}
    creds = gssapi.Credentials(name=name, usage="initiate", store=store)
    # The same ticket, taken through the client's own Kerberos (hpcapi.client.gss).
    client = HpcapiClient(stack.url, creds=Credential(PRINCIPAL, {"ccache": f"FILE:{ccache}"}),
                          ca=stack.ca)
    bare = requests.Session()
    # What the client sets up: opportunistic SPNEGO, the AP-REP checked when Apache sends one.
    bare.auth = HTTPSPNEGOAuth(creds=creds, opportunistic_auth=True,
                               mutual_authentication=OPTIONAL)
    bare.headers["Accept"] = "application/json"
    encoded = json.dumps(HELD).encode()

    def bare_ping() -> None:
        answer = bare.get(f"{stack.url}/ping", verify=stack.ca, timeout=30)
        answer.raise_for_status()
        answer.json()

    def bare_submit(keyed: bool = False) -> None:
        headers = {"Content-Type": "application/json"}
        if keyed:
            headers["Idempotency-Key"] = f"bench-{uuid.uuid4().hex}"
        answer = bare.post(f"{stack.url}/submit_job", data=encoded, headers=headers,
                           verify=stack.ca, timeout=30)
        jobs.add(answer.json().get("jobid") if answer.ok else None, answer.text)

    def client_submit(keyed: bool = False) -> None:
        key = f"bench-{uuid.uuid4().hex}" if keyed else None
        answer = client.submit(HELD, idempotency_key=key)
        jobs.add(answer.get("jobid"), answer)

    operations: dict[str, dict[str, Callable[[], object]]] = {
        "ping": {"bare": bare_ping, "client": client.ping},
        "submit": {"bare": bare_submit, "client": client_submit},
        "keyed submit": {"bare": lambda: bare_submit(keyed=True),
                         "client": lambda: client_submit(keyed=True)},
    }
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for operation, variants in operations.items():
            results[operation] = in_turn(variants, n)
            jobs.cancel()
    finally:
        client.close()
        bare.close()
    return results


def goal(goals: dict[str, bool], text: str, met: bool) -> None:
    """One goal's line, kept for the JSON."""
    goals[text] = met
    print(f"goal: {text}: {'met' if met else 'NOT met'}")


def ratio_line(text: str, value: float) -> None:
    """One ratio's line."""
    print(f"ratio: {text}: {value:.2f}x")


def figures(samples: list[float], base: list[float] | None = None) -> dict[str, float]:
    """p50, p90 and (with ``base``) the ratio of the p50s, for the JSON."""
    made = {"p50_ms": p50(samples), "p90_ms": p90(samples)}
    if base is not None:
        made["ratio"] = p50(samples) / p50(base)
    return made


def ratio_table(groups: dict[str, dict[str, list[float]]], base: str,
                into: dict[str, Any]) -> None:
    """Print one row per operation and way, its ratio of p50s to the ``base`` way; keep each
    row's figures in ``into`` under "<operation>.<way>"."""
    for operation, ways in groups.items():
        for way, samples in ways.items():
            made = figures(samples, ways[base])
            into[f"{operation}.{way}"] = made
            print(f"{operation:<13} {way:<7} {made['p50_ms']:8.2f} {made['p90_ms']:8.2f} "
                  f"{made['ratio']:6.2f}x")


def report(stack: Stack, version: str, n: int, runs: int,
           inside: dict[str, dict[str, list[float]]], whole: dict[str, list[float]],
           library: dict[str, dict[str, list[float]]], rss: tuple[int, int]) -> None:
    """The tables, the ratios, the goals and the JSON line."""
    print(f"\nhpcapi benchmark: Slurm {stack.release}, slurmrestd {version}, user {USER}; "
          f"in process n={n} (history n={max(20, n // 10)}), whole processes {runs} runs each")
    print("\nin process, each way on one keep-alive connection (ms; ratio of p50s to direct):")
    print(f"{'operation':<13} {'path':<7} {'p50':>8} {'p90':>8} {'ratio':>7}")
    summary: dict[str, Any] = {"slurm": stack.release, "api_version": version, "n": n,
                               "runs": runs, "in_process": {}, "whole_process": {},
                               "client": {}}
    ratio_table(inside, "direct", summary["in_process"])
    for operation in inside:
        for path in ("app", "full"):
            ratio_line(f"{operation} {path}/direct",
                       summary["in_process"][f"{operation}.{path}"]["ratio"])

    print(f"\nwhole processes, wall clock from start to exit, {runs} runs each in turn (ms):")
    print(f"{'command':<18} {'p50':>8} {'p90':>8}")
    for command, samples in whole.items():
        made = figures(samples)
        summary["whole_process"][command] = made
        print(f"{command:<18} {made['p50_ms']:8.1f} {made['p90_ms']:8.1f}")
    whole_ratios = {
        "hpcapi submit / ssh + sbatch": ("hpcapi submit", "ssh + sbatch"),
        "hpcapi submit / local sbatch": ("hpcapi submit", "sbatch"),
        "curl submit / local sbatch": ("curl submit", "sbatch"),
        "hpcapi submit / curl submit": ("hpcapi submit", "curl submit"),
        "ssh + sbatch / local sbatch": ("ssh + sbatch", "sbatch"),
    }
    summary["whole_process_ratios"] = {}
    for text, (top, bottom) in whole_ratios.items():
        value = p50(whole[top]) / p50(whole[bottom])
        summary["whole_process_ratios"][text] = value
        ratio_line(text, value)

    print(f"\nPython client against a bare requests-gssapi session, same URL and ticket, "
          f"n={n} (ms; ratio of p50s to bare):")
    print(f"{'operation':<13} {'way':<7} {'p50':>8} {'p90':>8} {'ratio':>7}")
    ratio_table(library, "bare", summary["client"])
    for operation in library:
        ratio_line(f"{operation} client/bare", summary["client"][f"{operation}.client"]["ratio"])

    print()
    goals: dict[str, bool] = {}
    in_process_ratios = summary["in_process"]
    for operation in ("ping", "submit"):
        value = in_process_ratios[f"{operation}.app"]["ratio"]
        goal(goals, f"hpcapi behind gunicorn: {operation} p50 <= 1.25x direct slurmrestd "
             f"({value:.2f}x)", value <= 1.25)
    for operation in ("ping", "submit"):
        value = in_process_ratios[f"{operation}.full"]["ratio"]
        goal(goals, f"through Apache with Kerberos, in process: {operation} p50 <= 1.5x direct "
             f"({value:.2f}x)", value <= 1.5)
    value = summary["whole_process_ratios"]["hpcapi submit / ssh + sbatch"]
    goal(goals, f"`hpcapi submit` whole process p50 <= 0.25x ssh + sbatch ({value:.2f}x)",
         value <= 0.25)
    version_ms = p50(whole["hpcapi --version"])
    goal(goals, f"`hpcapi --version` whole process p50 < 40 ms ({version_ms:.1f} ms)",
         version_ms < 40)
    value = summary["whole_process_ratios"]["curl submit / local sbatch"]
    goal(goals, f"`curl --negotiate` submit whole process p50 <= 1.5x local sbatch "
         f"({value:.2f}x)", value <= 1.5)
    before, after = rss
    growth = (after - before) / before * 100 if before else 0.0
    print(f"gunicorn workers RSS: {before} KiB -> {after} KiB ({growth:+.1f} %)")
    summary["goals"] = goals
    summary["rss_kib"] = [before, after]
    print(json.dumps(summary))


def runs_count(text: str) -> int:
    """--runs: at least MIN_RUNS, for percentiles of whole processes worth reading."""
    value = int(text)
    if value < MIN_RUNS:
        raise argparse.ArgumentTypeError(f"at least {MIN_RUNS}")
    return value


def main() -> None:
    """Measure each part, cancel every job, print the figures and the goals."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=200,
                        help="calls per in-process and client operation (200; history n/10, "
                             "at least 20)")
    parser.add_argument("--runs", type=runs_count, default=20,
                        help=f"whole-process runs per command (20, at least {MIN_RUNS})")
    args = parser.parse_args()
    stack = Stack()
    version = api_version(stack.rest, stack.direct_session(USER))
    jobs = Jobs()
    workdir = Path(tempfile.mkdtemp(prefix="hpcapi-bench-"))
    workdir.chmod(0o755)  # bob reads job.sh, and sshd reads the authorized key as bob
    ccache = workdir / "bob.ccache"
    try:
        subprocess.run(["kinit", "-k", "-t", str(stack.keytabs / f"{USER}.keytab"), PRINCIPAL],
                       env=dict(os.environ, KRB5CCNAME=f"FILE:{ccache}"), check=True,
                       timeout=30)
        rss_before = workers_rss_kib(str(stack.state))
        try:
            inside = in_process(stack, version, args.n, jobs)
        finally:
            jobs.cancel()
        rss_after = workers_rss_kib(str(stack.state))
        try:
            whole = whole_process(stack, workdir, ccache, args.runs, jobs)
        finally:
            jobs.cancel()
        try:
            library = client_library(stack, ccache, args.n, jobs)
        finally:
            jobs.cancel()
    finally:
        jobs.cancel()
        Jobs.sweep()
        shutil.rmtree(workdir, ignore_errors=True)
    report(stack, version, args.n, args.runs, inside, whole, library, (rss_before, rss_after))


if __name__ == "__main__":
    main()
