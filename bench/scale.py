"""What a request costs as other users' jobs pile up in slurmctld, measured in one run.

On the running dev stack (either release): alice's query_status (first, and repeated), job
detail, plain and keyed submission, through Apache with Kerberos, timed N times each on an
empty cluster and again with F held jobs of bob's in slurmctld; beside them, one direct
slurmrestd fetch of slurmctld's whole job list (what a history cost before hpcapi stopped
reading it). Prints p50 and p90 and the ratio of each to its empty-cluster value. Cleans up what
it made. Loopback only, bounded in count. Run as root: bench/scale [--foreign F] [--runs N]

Then the fairness case: bob's plain submissions alone, and while alice keeps 24 week-long
histories in flight at once (each resent after its Retry-After when refused).

Not yet here (issue 15): a user with 10,000 jobs of their own, bytes read from slurmrestd per
request, and 64 polling clients.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gssapi
import jwt
import requests
from requests_gssapi import OPTIONAL, HTTPSPNEGOAuth

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hpcapi.model import JobDescription  # noqa: E402
from hpcapi.slurm.endpoints import endpoints  # noqa: E402
from hpcapi.slurm.submit_body import render_submit_body  # noqa: E402
from hpcapi.slurm.versions import SUPPORTED_API_VERSIONS, versions_in_spec  # noqa: E402

REALM = "HPCAPI.TEST"
SCRIPT = "#!/bin/bash\ntrue\n"
HELD = {"partition": "quick", "script-body": SCRIPT, "hold": True, "job-name": "scale"}


def direct_session(user: str) -> requests.Session:
    """A session to the chosen cluster's slurmrestd as ``user`` (a JWT from its key)."""
    key = (Path(os.environ["HPCAPI_DEV_SLURM_STATE"]) / "slurm/etc/jwt_hs256.key").read_bytes()
    now = int(time.time())
    token = jwt.encode({"iat": now, "exp": now + 3600, "sun": user}, key, algorithm="HS256")
    session = requests.Session()
    session.headers.update({"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token})
    return session


def api_session(user: str) -> requests.Session:
    """A session to hpcapi through Apache, as ``user`` from its dev keytab."""
    name = gssapi.Name(f"{user}@{REALM}", gssapi.NameType.kerberos_principal)
    store: dict[bytes | str, bytes | str] = {
        "client_keytab": f"{os.environ['HPCAPI_DEV_KEYTABS']}/{user}.keytab",
        "ccache": f"MEMORY:scale-{user}",
    }
    creds = gssapi.Credentials(name=name, usage="initiate", store=store)
    session = requests.Session()
    session.auth = HTTPSPNEGOAuth(creds=creds, mutual_authentication=OPTIONAL,
                                  opportunistic_auth=True)
    session.verify = os.environ["REQUESTS_CA_BUNDLE"]
    return session


def api_version(rest: str) -> str:
    """The newest API version both this slurmrestd and hpcapi speak."""
    offered = versions_in_spec(direct_session("nobody").get(f"{rest}/openapi/v3").json())
    return [v for v in SUPPORTED_API_VERSIONS if v in offered][-1]


def timed(runs: int, call: Callable[[], Any]) -> list[float]:
    """Milliseconds of ``runs`` sequential calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p(values: list[float], q: float) -> float:
    """The q-quantile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(api: requests.Session, url: str, runs: int, made: list[str]) -> dict[str, list[float]]:
    """Each operation's times for alice, through Apache."""

    def ok(response: requests.Response) -> dict[str, Any]:
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def submit(key: str | None = None) -> None:
        headers = {"Idempotency-Key": key} if key else {}
        made.append(ok(api.post(f"{url}/submit_job", json=HELD, headers=headers))["jobid"])

    ok(api.get(f"{url}/whoami"))
    submit()
    results = {
        "plain submit": timed(runs, submit),
        "keyed submit": timed(runs, lambda: submit(f"scale-{uuid.uuid4().hex}")),
        "job detail": timed(runs, lambda: ok(api.get(f"{url}/job/{made[0]}"))),
    }
    firsts = []
    for _ in range(runs):
        submit()  # a write: the next history cannot be a kept answer
        firsts += timed(1, lambda: ok(api.get(f"{url}/query_status", params={"hours": "1"})))
    results["query_status, first"] = firsts
    results["query_status, repeated"] = timed(
        runs, lambda: ok(api.get(f"{url}/query_status", params={"hours": "1"})))
    return results


def fairness(url: str, runs: int, flooders: int) -> tuple[list[float], list[float], int]:
    """bob's plain submissions alone, then while alice keeps ``flooders`` week-long histories
    in flight at once; and how many of alice's requests were answered 429."""
    bob = api_session("bob")
    made: list[str] = []

    def submit() -> None:
        answer = bob.post(f"{url}/submit_job", json=HELD)
        answer.raise_for_status()
        made.append(answer.json()["jobid"])

    submit()
    alone = timed(runs, submit)
    stop = threading.Event()
    refused = [0]

    def flood() -> None:
        alice = api_session("alice")
        while not stop.is_set():
            answer = alice.get(f"{url}/query_status", params={"hours": "168"})
            if answer.status_code == 429:
                refused[0] += 1
                time.sleep(float(answer.headers.get("Retry-After", "1")))

    threads = [threading.Thread(target=flood) for _ in range(flooders)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        flooded = timed(runs, submit)
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
        rest = os.environ["HPCAPI_DEV_SLURMRESTD"]
        cancel(rest, api_version(rest), "bob", made)
    return alone, flooded, refused[0]


def hold_foreign_jobs(rest: str, version: str, count: int) -> list[int]:
    """``count`` held jobs of bob's, submitted straight to slurmrestd."""
    bob = direct_session("bob")
    job = JobDescription(script=SCRIPT, name="scale-foreign", partition="quick",
                         working_directory="/home/bob", standard_output="/dev/null",
                         environment=(("PATH", "/usr/bin:/bin"),), hold=True)
    body = render_submit_body(version, job)
    path = f"{rest}{endpoints(version).submit.path()}"
    ids = []
    for _ in range(count):
        answer = bob.post(path, json=body)
        answer.raise_for_status()
        ids.append(int(answer.json()["job_id"]))
    return ids


def cancel(rest: str, version: str, user: str, ids: list[Any]) -> None:
    """Cancel jobs as their owner."""
    session = direct_session(user)
    for job_id in ids:
        session.delete(f"{rest}{endpoints(version).cancel.path(job_id=job_id)}")


def main() -> None:
    """Measure, pile up foreign jobs, measure again, print the table, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--foreign", type=int, default=3000, help="bob's held jobs (3000)")
    parser.add_argument("--runs", type=int, default=20, help="calls per operation (20)")
    parser.add_argument("--flooders", type=int, default=24,
                        help="alice's concurrent histories in the fairness case (24)")
    args = parser.parse_args()
    rest, url = os.environ["HPCAPI_DEV_SLURMRESTD"], os.environ["HPCAPI_URL"]
    version = api_version(rest)
    alice_direct = direct_session("alice")
    live_list = f"{rest}{endpoints(version).live_jobs.path()}"
    api = api_session("alice")
    made: list[str] = []
    foreign: list[int] = []
    try:
        empty = measure(api, url, args.runs, made)
        empty_list = timed(3, lambda: alice_direct.get(live_list).raise_for_status())
        started = time.monotonic()
        foreign = hold_foreign_jobs(rest, version, args.foreign)
        print(f"{len(foreign)} held jobs of bob's submitted in {time.monotonic() - started:.0f} s")
        full = measure(api, url, args.runs, made)
        full_list = timed(3, lambda: alice_direct.get(live_list).raise_for_status())
    finally:
        cancel(rest, version, "alice", made)
        cancel(rest, version, "bob", foreign)
    release = os.environ.get("HPCAPI_DEV_SLURM", "?")
    print(f"\nSlurm {release}, slurmrestd {version}; alice through Apache, {args.runs} calls each;"
          f" empty cluster vs {len(foreign)} held jobs of bob's")
    print(f"{'operation':28} {'p50 empty':>10} {'p90 empty':>10} {'p50 full':>10} "
          f"{'p90 full':>10} {'p50 ratio':>10}")
    rows = [(name, empty[name], full[name]) for name in empty]
    rows.append(("direct GET every live job", empty_list, full_list))
    worst = 0.0
    for name, before, after in rows:
        ratio = statistics.median(after) / statistics.median(before)
        if not name.startswith("direct"):
            worst = max(worst, ratio)
        print(f"{name:28} {p(before, .5):10.1f} {p(before, .9):10.1f} {p(after, .5):10.1f} "
              f"{p(after, .9):10.1f} {ratio:9.2f}x")
    verdict = "met" if worst <= 1.5 else "NOT met"
    print(f"\ngoal: every hpcapi operation's p50 <= 1.5x its empty-cluster value: {verdict}"
          f" (worst {worst:.2f}x)")
    alone, flooded, refused = fairness(url, args.runs, args.flooders)
    print(f"\nfairness: bob's plain submit p50 {statistics.median(alone):.1f} ms alone,"
          f" {statistics.median(flooded):.1f} ms (p90 {p(flooded, .9):.1f}) while alice keeps"
          f" {args.flooders} week-long histories in flight ({refused} of hers answered 429)")
    verdict = "met" if statistics.median(flooded) <= 100 else "NOT met"
    print(f"goal: the other user's submit p50 <= 100 ms during the flood: {verdict}")


if __name__ == "__main__":
    main()
