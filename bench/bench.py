"""hpcapi's own cost, measured against direct slurmrestd in the same run.

For each operation it times N sequential calls three ways, each on one keep-alive connection:
  direct   slurmrestd with a per-user JWT (the baseline: what Slurm itself costs)
  app      gunicorn's unix socket with the identity header (hpcapi's own cost added)
  full     https through Apache with Kerberos (SPNEGO token on every request)
and prints medians, p90s and the ratios app/direct and full/direct, plus the gunicorn workers'
memory before and after. Loopback only, bounded in count; submitted jobs are cancelled.
Run as root with the dev stack up: bench/run [N]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gssapi
import jwt
import requests
from requests.adapters import HTTPAdapter
from requests_gssapi import OPTIONAL, HTTPSPNEGOAuth

USER = "bob"
REALM = "HPCAPI.TEST"
REST = "http://127.0.0.1:6820"
STATE = Path(os.environ["HPCAPI_DEV_STATE"])
SCRIPT = "#!/bin/bash\ntrue\n"


class UnixAdapter(HTTPAdapter):
    """requests over gunicorn's unix socket (the path Apache takes)."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        super().__init__()

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        import socket

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


def timed(label: str, n: int, call: Callable[[], None]) -> list[float]:
    call()  # warm-up: connection, token, worker import
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def worker_rss_kib() -> int:
    master = int((STATE / "hpcapi" / "run" / "gunicorn.pid").read_text())
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    total = 0
    for pid in children.stdout.split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    key = (STATE / "slurm" / "etc" / "jwt_hs256.key").read_bytes()
    now = int(time.time())
    token = jwt.encode({"iat": now, "exp": now + 3600, "sun": USER}, key, algorithm="HS256")
    uid = int(subprocess.run(["id", "-u", USER], capture_output=True, text=True).stdout)

    direct = requests.Session()
    direct.headers.update({"X-SLURM-USER-NAME": USER, "X-SLURM-USER-TOKEN": token})
    app = requests.Session()
    app.mount("http://hpcapi/", UnixAdapter(str(STATE / "hpcapi" / "sock" / "gunicorn.sock")))
    app.headers["X-Remote-User"] = f"{USER}@{REALM}"
    name = gssapi.Name(f"{USER}@{REALM}", gssapi.NameType.kerberos_principal)
    creds = gssapi.Credentials(name=name, usage="initiate", store={
        "client_keytab": str(STATE / "keytabs" / f"{USER}.keytab"), "ccache": "MEMORY:bench"})
    full = requests.Session()
    full.verify = str(STATE / "tls" / "ca.crt")
    full.auth = HTTPSPNEGOAuth(creds=creds, opportunistic_auth=True, mutual_authentication=OPTIONAL)
    url = "https://localhost:8443/hpcapi"
    job_ids: list[int] = []
    env = {"PATH": "/usr/bin:/bin", "HOME": f"/home/{USER}", "USER": USER}
    direct_job = {"script": SCRIPT, "job": {
        "partition": "quick", "name": "bench", "current_working_directory": f"/home/{USER}",
        "standard_output": "/dev/null", "environment": env, "hold": True}}
    api_job = {"partition": "quick", "script-body": SCRIPT, "job-name": "bench"}

    def keep(response: requests.Response) -> None:
        body = response.json()
        job = body.get("job_id") or body.get("reason")
        if not str(job).isdigit():
            raise SystemExit(f"submit failed: {response.status_code} {body}")
        job_ids.append(int(job))

    gid = int(subprocess.run(["id", "-g", USER], capture_output=True, text=True).stdout)

    def direct_history() -> None:
        # What hpcapi asks Slurm 22.05 for one history: accounting filtered to the user's
        # primary group (22.05 has no user filter), plus every job slurmctld holds.
        direct.get(f"{REST}/slurmdb/v0.0.38/jobs", params={
            "submit_time": "now-24hours", "skip_steps": "true", "groups": str(gid),
        }).raise_for_status()
        direct.get(f"{REST}/slurm/v0.0.38/jobs").raise_for_status()

    operations = {
        "ping": (
            lambda: direct.get(f"{REST}/slurm/v0.0.38/ping").raise_for_status(),
            lambda: app.get("http://hpcapi/hpcapi/ping").raise_for_status(),
            lambda: full.get(f"{url}/ping").raise_for_status(),
        ),
        "submit": (
            lambda: keep(direct.post(f"{REST}/slurm/v0.0.38/job/submit", json=direct_job)),
            lambda: keep(app.post("http://hpcapi/hpcapi/submit_job", json=api_job)),
            lambda: keep(full.post(f"{url}/submit_job", json=api_job)),
        ),
        "history": (
            direct_history,
            lambda: app.get("http://hpcapi/hpcapi/query_status").raise_for_status(),
            lambda: full.get(f"{url}/query_status").raise_for_status(),
        ),
    }
    rss_before = worker_rss_kib()
    results = {}
    try:
        for operation, (base, via_app, via_full) in operations.items():
            count = n if operation != "history" else max(20, n // 10)
            results[operation] = {
                "direct": timed("direct", count, base),
                "app": timed("app", count, via_app),
                "full": timed("full", count, via_full),
            }
    finally:
        for start in range(0, len(job_ids), 200):
            subprocess.run(["scancel", *map(str, job_ids[start:start + 200])], check=False)
    rss_after = worker_rss_kib()

    print(f"hpcapi benchmark, user {USER}, uid {uid}, n={n} (history n={max(20, n // 10)})")
    print(f"{'operation':<9} {'path':<7} {'median ms':>10} {'p90 ms':>8} {'ratio':>7}")
    summary = {}
    for operation, paths in results.items():
        base_median = statistics.median(paths["direct"])
        for path, samples in paths.items():
            median = statistics.median(samples)
            p90 = statistics.quantiles(samples, n=10)[-1]
            ratio = median / base_median
            summary[f"{operation}.{path}"] = {"median_ms": median, "p90_ms": p90, "ratio": ratio}
            print(f"{operation:<9} {path:<7} {median:10.2f} {p90:8.2f} {ratio:6.2f}x")
    growth = (rss_after - rss_before) / rss_before * 100 if rss_before else 0.0
    print(f"gunicorn workers RSS: {rss_before} KiB -> {rss_after} KiB ({growth:+.1f} %)")
    print(json.dumps({"results": summary, "rss_kib": [rss_before, rss_after]}))


if __name__ == "__main__":
    main()
