"""What a request costs as other users' jobs pile up, and as a user's own jobs do, in one run.

On the running dev stack (either release), through Apache with Kerberos, two callers: alice
(a few hundred jobs of the test suite's) and dave, who first gets M jobs of his own in the
last 24 hours (held and cancelled straight through slurmrestd). For each: query_status (first,
for a window not asked before, and repeated, spaced past ``[history] max_staleness`` so that
each asks Slurm what changed), job detail, plain and keyed submission; p50, p90 and the bytes
hpcapi read from slurmrestd per request (its audit line's slurm_bytes), on the cluster as it is
and again with F held jobs of carol's in slurmctld, with the ratios. Beside them, the baseline:
one direct slurmrestd fetch of the same window.

Then 64 clients (dave) polling query_status for 60 s through hpcapi, against 64 clients fetching
the same data straight from slurmrestd: requests per second, p99, slurmrestd requests and bytes
per second, the gunicorn workers' largest resident memory. Then the fairness case: bob's plain
submissions alone, and while alice keeps 24 week-long histories in flight at once.

It cancels every job it made (carol's and dave's stay in accounting: bench users, whom no test
uses). Loopback only, bounded in count. Run as root through bench/scale, which holds the stack
lock: bench/scale [--foreign F] [--many M] [--runs N] [--pollers P] [--poll-seconds S]
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gssapi
import jwt
import requests
from requests_gssapi import OPTIONAL, HTTPSPNEGOAuth

# The repository, not this directory (whose bench.py would shadow the bench package).
sys.path[0] = str(Path(__file__).resolve().parents[1])
from bench import loadgen  # noqa: E402
from hpcapi.model import JobDescription  # noqa: E402
from hpcapi.service.history import ACCOUNTING_MARGIN_SECONDS  # noqa: E402
from hpcapi.slurm.endpoints import endpoints, history_query  # noqa: E402
from hpcapi.slurm.submit_body import render_submit_body  # noqa: E402
from hpcapi.slurm.versions import SUPPORTED_API_VERSIONS, versions_in_spec  # noqa: E402

REALM = "HPCAPI.TEST"
SCRIPT = "#!/bin/bash\ntrue\n"
HELD = {"partition": "quick", "script-body": SCRIPT, "hold": True, "job-name": "scale"}
FEW, MANY, FOREIGN = "alice", "dave", "carol"  # dev/stack's users; carol and dave are ours
DAY = 86_400
MAX_STALENESS = 2.0  # dev/stack's [history] max_staleness (the default)
SUBMITTERS = 8  # threads submitting the piles straight to slurmrestd
# The documented bound of a worker's resident memory with the default [history] cache_jobs
# (README, "Scale"): what the kept answers may hold plus the answers being made at once.
WORKER_RSS_CAP_MB = 400
_AUDIT_RE = re.compile(r"user=(\S+) method=(\S+) path=(\S+) status=(\d+) .* "
                       r"slurm_calls=(\d+) slurm_bytes=(\d+)")


def direct_session(user: str) -> requests.Session:
    """A session to the chosen cluster's slurmrestd as ``user`` (a JWT from its key)."""
    key = (Path(os.environ["HPCAPI_DEV_SLURM_STATE"]) / "slurm/etc/jwt_hs256.key").read_bytes()
    now = int(time.time())
    token = jwt.encode({"iat": now, "exp": now + 7200, "sun": user}, key, algorithm="HS256")
    session = requests.Session()
    session.headers.update({"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token})
    return session


def api_session(user: str, tag: str = "") -> requests.Session:
    """A session to hpcapi through Apache, as ``user`` from its dev keytab."""
    name = gssapi.Name(f"{user}@{REALM}", gssapi.NameType.kerberos_principal)
    store: dict[bytes | str, bytes | str] = {
        "client_keytab": f"{os.environ['HPCAPI_DEV_KEYTABS']}/{user}.keytab",
        "ccache": f"MEMORY:scale-{user}{tag}",
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


def p(values: list[float], q: float) -> float:
    """The q-quantile of ``values`` (nan when there are none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Audit:
    """hpcapi's audit lines (gunicorn's log) written since the last mark."""

    def __init__(self) -> None:
        self.path = Path(os.environ["HPCAPI_DEV_STATE"]) / "log" / "gunicorn.log"
        self.offset = self.path.stat().st_size

    def mark(self) -> None:
        """Forget what was written so far."""
        self.offset = self.path.stat().st_size

    def served_by(self, user: str) -> set[str]:
        """The pids of the workers that answered ``user``'s query_status since the mark."""
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        return set(re.findall(rf"\[(\d+)\] \[INFO\] principal=\S+ user={user} method=GET "
                              r"path=/hpcapi/query_status status=200", text))

    def since_mark(self, user: str | None = None) -> list[tuple[str, int, int, int]]:
        """(path, status, slurmrestd calls, slurmrestd bytes) of each request since the mark."""
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        found = []
        for match in _AUDIT_RE.finditer(text):
            if user is None or match[1] == user:
                found.append((match[3], int(match[4]), int(match[5]), int(match[6])))
        return found


@dataclass
class Figures:
    """One operation's timings and what each of its requests read from slurmrestd."""

    ms: list[float] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        """Median milliseconds."""
        return p(self.ms, .5)


class Caller:
    """One user's operations through Apache, each timed and its slurmrestd bytes counted."""

    def __init__(self, user: str, url: str, audit: Audit) -> None:
        self.user, self.url, self.audit = user, url, audit
        self.api = api_session(user)
        self.made: list[str] = []
        self._ok(self.api.get(f"{url}/whoami"))
        self.submit()

    @staticmethod
    def _ok(response: requests.Response) -> dict[str, Any]:
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def submit(self, key: str | None = None) -> None:
        """One held job through hpcapi (cancelled at the end)."""
        headers = {"Idempotency-Key": key} if key else {}
        answer = self._ok(self.api.post(f"{self.url}/submit_job", json=HELD, headers=headers))
        self.made.append(answer["jobid"])

    def history(self, hours: int) -> None:
        """One query_status."""
        self._ok(self.api.get(f"{self.url}/query_status", params={"hours": str(hours)}))

    def timed(self, runs: int, call: Callable[[], Any], pause: float = 0.0) -> Figures:
        """``runs`` sequential calls: their milliseconds and slurmrestd bytes."""
        figures = Figures()
        for _ in range(runs):
            self.audit.mark()
            started = time.perf_counter()
            call()
            figures.ms.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)  # the audit line is written just after the answer
            figures.bytes += [size for _, _, _, size in self.audit.since_mark(self.user)]
            time.sleep(pause)
        return figures

    def submissions(self, runs: int) -> dict[str, Figures]:
        """Plain and keyed submission and job detail; then the held jobs just made are
        cancelled (each repeated poll asks again for the unfinished ones: the same few in
        each state), and one is left pending for the next job detail."""
        results = {
            "plain submit": self.timed(runs, self.submit),
            "keyed submit": self.timed(runs, lambda: self.submit(f"scale-{uuid.uuid4().hex}")),
            "job detail": self.timed(runs, lambda: self._ok(
                self.api.get(f"{self.url}/job/{self.made[0]}"))),
        }
        cancel_all(self.user)
        self.made = []
        self.submit()
        return results

    def histories(self, runs: int, direct: Callable[[], int]) -> dict[str, Figures]:
        """First and repeated query_status; ``direct`` fetches the caller's window straight
        from slurmrestd next to each first history, whose baseline it is (one slurmrestd
        answer of a few seconds varies by a second from one call to the next)."""
        results = {"query_status, first": Figures(), "direct slurmrestd window": Figures()}

        def fetch_direct() -> None:
            once = timed_direct(1, direct)
            results["direct slurmrestd window"].ms += once.ms
            results["direct slurmrestd window"].bytes += once.bytes

        for run in range(max(6, runs // 4)):
            new_workers()
            # In turn before and after the history: a slurmrestd answer just after another
            # large one may be slower (slurmrestd still freeing the first), and neither side
            # should always be the second.
            if run % 2 == 0:
                fetch_direct()
            # Each new worker's own start-up, whichever answers next; just before the history,
            # on a connection Apache has not closed as idle (KeepAliveTimeout) meanwhile.
            for _ in range(4):
                self._ok(self.api.get(f"{self.url}/whoami"))
            first = self.timed(1, lambda: self.history(24))
            results["query_status, first"].ms += first.ms
            results["query_status, first"].bytes += first.bytes
            if run % 2 == 1:
                fetch_direct()
        for _ in range(4):  # each gunicorn worker has its own answers: let them all have one
            self.history(24)
        results["query_status, repeated"] = self.timed(runs, lambda: self.history(24),
                                                       pause=MAX_STALENESS + 0.2)
        return results


def warm(caller: Caller, audit: Audit) -> None:
    """Until every gunicorn worker has answered the caller's query_status: the storm measures
    steady polling, not each worker's first fetch of the window (measured apart, as first)."""
    workers = {str(pid) for pid in loadgen.gunicorn_workers(os.environ["HPCAPI_DEV_STATE"])}
    # A session each: requests-gssapi's SPNEGO state is per session, not safe to share.
    sessions = [api_session(caller.user, f"-warm{index}") for index in range(4)]
    audit.mark()
    for _ in range(20):
        threads = [threading.Thread(target=lambda session=session: session.get(
            f"{caller.url}/query_status", timeout=300)) for session in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        if workers <= audit.served_by(caller.user):
            return
    raise SystemExit("not every gunicorn worker answered query_status")


def new_workers() -> None:
    """gunicorn's graceful reload (SIGHUP): new workers, with no kept answers; returns once
    they have all replaced the old."""
    state = os.environ["HPCAPI_DEV_STATE"]
    old = set(loadgen.gunicorn_workers(state))
    os.kill(loadgen.gunicorn_master(state), signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = set(loadgen.gunicorn_workers(state))
        if len(now) >= len(old) and not now & old:
            time.sleep(0.5)  # listening
            return
        time.sleep(0.1)
    raise SystemExit("gunicorn did not start new workers")


def direct_window(rest: str, version: str, user: str) -> Callable[[], int]:
    """One direct fetch of ``user``'s 24-hour accounting window, as hpcapi asks for it in full;
    returns the bytes slurmrestd sent."""
    session = direct_session(user)
    gid = pwd.getpwnam(user).pw_gid
    path = f"{rest}{endpoints(version).accounting_jobs.path()}"

    def fetch() -> int:
        answer = session.get(path, params=history_query(version, user, gid, DAY, time.time()),
                             timeout=300)
        answer.raise_for_status()
        return len(answer.content)

    return fetch


def timed_direct(runs: int, fetch: Callable[[], int]) -> Figures:
    """``runs`` direct fetches: milliseconds and bytes."""
    figures = Figures()
    for _ in range(runs):
        started = time.perf_counter()
        figures.bytes.append(fetch())
        figures.ms.append((time.perf_counter() - started) * 1000)
    return figures


def pile(rest: str, version: str, user: str, count: int, cancel: bool) -> float:
    """``count`` held jobs of ``user``'s straight through slurmrestd (then cancelled with
    ``cancel``); the seconds it took."""
    home = pwd.getpwnam(user).pw_dir
    job = JobDescription(script=SCRIPT, name="scale-pile", partition="quick",
                         working_directory=home, standard_output="/dev/null",
                         environment=(("PATH", "/usr/bin:/bin"),), hold=True)
    body = render_submit_body(version, job)
    path = f"{rest}{endpoints(version).submit.path()}"
    local = threading.local()

    def one(_: int) -> None:
        if not hasattr(local, "session"):
            local.session = direct_session(user)
        for attempt in range(5):
            answer = local.session.post(path, json=body, timeout=60)
            if answer.status_code == 200:
                return
            time.sleep(0.5 * (attempt + 1))  # slurmctld busy: its answer names no job
        answer.raise_for_status()

    started = time.monotonic()
    with ThreadPoolExecutor(SUBMITTERS) as pool:
        list(pool.map(one, range(count)))
    if cancel:
        cancel_all(user)
    return time.monotonic() - started


def cancel_all(user: str) -> None:
    """Cancel every job of ``user``'s (one RPC to slurmctld)."""
    subprocess.run(["scancel", "--user", user], check=True, timeout=300)


def accounting_count(rest: str, version: str, user: str) -> int:
    """How many jobs accounting holds for ``user`` in the last 24 hours."""
    session = direct_session(user)
    gid = pwd.getpwnam(user).pw_gid
    answer = session.get(f"{rest}{endpoints(version).accounting_jobs.path()}",
                         params=history_query(version, user, gid, DAY, time.time()), timeout=300)
    answer.raise_for_status()
    return sum(1 for job in answer.json().get("jobs", []) if job.get("user") == user)


@dataclass
class Storm:
    """What many clients polling at once got."""

    seconds: float
    ms: list[float] = field(default_factory=list)
    throttled: int = 0
    failed: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # by exception, then message
    slurm_calls: int = 0
    slurm_bytes: int = 0
    worker_rss_kib: int = 0
    slurm_cpu_s: float = 0.0  # CPU time slurmrestd, slurmdbd and MariaDB spent meanwhile

    @property
    def rate(self) -> float:
        """Answers per second."""
        return len(self.ms) / self.seconds


# What answering costs Slurm: these processes' CPU time (pid files under the cluster's state).
SLURM_SIDE = ("slurm/run/slurmrestd.pid", "slurm/run/slurmdbd.pid", "mysql/run/mysqld.pid")


def slurm_cpu_seconds() -> float:
    """CPU seconds slurmrestd, slurmdbd and MariaDB have used so far, together."""
    total = 0.0
    for relative in SLURM_SIDE:
        pid = (Path(os.environ["HPCAPI_DEV_SLURM_STATE"]) / relative).read_text().strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def storm(clients: int, seconds: float, make: Callable[[int], Callable[[], int | None]]) -> Storm:
    """``clients`` threads, each calling its ``make(i)()`` in a loop for ``seconds``: an int
    is an answer (its slurmrestd bytes when direct), None a 429 (the call waited its
    Retry-After); an exception a failure."""
    result = Storm(seconds)
    lock = threading.Lock()
    begin = threading.Barrier(clients + 1)
    deadline = [0.0]

    def loop(index: int) -> None:
        call = make(index)
        begin.wait()
        while time.monotonic() < deadline[0]:
            started = time.perf_counter()
            try:
                answer = call()
            except Exception as exc:  # noqa: BLE001 - counted, the storm goes on
                with lock:
                    result.failed += 1
                    result.failures[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
                continue
            with lock:
                if answer is None:
                    result.throttled += 1
                else:
                    result.ms.append((time.perf_counter() - started) * 1000)
                    result.slurm_bytes += answer

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    cpu_before = slurm_cpu_seconds()
    started = time.monotonic()
    begin.wait()
    while time.monotonic() < deadline[0]:
        rss = loadgen.workers_rss_kib(os.environ["HPCAPI_DEV_STATE"])
        result.worker_rss_kib = max([result.worker_rss_kib, *rss.values()])
        time.sleep(1)
    for thread in threads:
        thread.join(600)
    result.slurm_cpu_s = slurm_cpu_seconds() - cpu_before
    # Until the last answer: calls under way at the deadline are waited for, and counted.
    result.seconds = time.monotonic() - started
    return result


def hpcapi_poller(url: str) -> Callable[[int], Callable[[], int | None]]:
    """A polling client of dave's through Apache (0 bytes: hpcapi's are in its audit lines)."""

    def make(index: int) -> Callable[[], int | None]:
        session = api_session(MANY, tag=f"-{index}")

        def call() -> int | None:
            answer = session.get(f"{url}/query_status", timeout=300)
            if answer.status_code == 429:
                time.sleep(float(answer.headers.get("Retry-After", "1")))
                return None
            answer.raise_for_status()
            return 0

        return call

    return make


def fairness(url: str, runs: int, flooders: int) -> tuple[list[float], list[float], int]:
    """bob's plain submissions alone, then while alice keeps ``flooders`` week-long histories
    in flight at once; and how many of alice's requests were answered 429."""
    bob = api_session("bob")
    made: list[str] = []

    def submit() -> None:
        answer = bob.post(f"{url}/submit_job", json=HELD)
        answer.raise_for_status()
        made.append(answer.json()["jobid"])

    def timed(count: int) -> list[float]:
        times = []
        for _ in range(count):
            started = time.perf_counter()
            submit()
            times.append((time.perf_counter() - started) * 1000)
        return times

    submit()
    alone = timed(runs)
    stop = threading.Event()
    refused = [0]

    def flood() -> None:
        alice = api_session("alice", tag=f"-{threading.get_ident()}")
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
        flooded = timed(runs)
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
        cancel_all("bob")
    return alone, flooded, refused[0]


def kb(values: list[int]) -> str:
    """Median bytes in KB, for the table."""
    return f"{statistics.median(values) / 1000:.1f}" if values else "-"


def main() -> None:
    """Pile up, measure, print the table and the goals, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--foreign", type=int, default=20_000, help="carol's held jobs (20000)")
    parser.add_argument("--many", type=int, default=10_000, help="dave's jobs (10000)")
    parser.add_argument("--runs", type=int, default=20,
                        help="calls per operation (20; a quarter of that for a first history)")
    parser.add_argument("--pollers", type=int, default=64, help="polling clients (64)")
    parser.add_argument("--poll-seconds", type=float, default=60.0, help="their time (60)")
    parser.add_argument("--flooders", type=int, default=24,
                        help="alice's concurrent histories in the fairness case (24)")
    args = parser.parse_args()
    rest, url = os.environ["HPCAPI_DEV_SLURMRESTD"], os.environ["HPCAPI_URL"]
    release = os.environ.get("HPCAPI_DEV_SLURM", "?")
    version = api_version(rest)
    audit = Audit()
    cancel_all(FOREIGN)
    cancel_all(MANY)
    have = accounting_count(rest, version, MANY)
    if have < args.many:
        took = pile(rest, version, MANY, args.many - have, cancel=True)
        print(f"{args.many - have} jobs of dave's made (held, cancelled) in {took:.0f} s")
    deadline = time.monotonic() + 300
    while (have := accounting_count(rest, version, MANY)) < args.many:
        if time.monotonic() > deadline:
            raise SystemExit(f"accounting holds only {have} of dave's jobs")
        time.sleep(5)
    # A pipeline's jobs of the last 24 hours ended over the day, not in the last minute: dave's
    # are measured once they are past the margin a poll asks again (ACCOUNTING_MARGIN_SECONDS).
    settled = time.monotonic() + ACCOUNTING_MARGIN_SECONDS + 30
    callers = [Caller(FEW, url, audit), Caller(MANY, url, audit)]
    results: dict[str, dict[str, dict[str, Figures]]] = {"empty": {}, "full": {}}
    try:
        for state in ("empty", "full"):
            if state == "full":
                took = pile(rest, version, FOREIGN, args.foreign, cancel=False)
                print(f"{args.foreign} held jobs of carol's in slurmctld, made in {took:.0f} s")
            for caller in callers:
                if caller.user == MANY:
                    time.sleep(max(0.0, settled - time.monotonic()))
                # The submissions add to the caller's own window: made after the histories
                # with carol's jobs, so that both states' histories read the same window.
                window = direct_window(rest, version, caller.user)
                if state == "empty":
                    measured = caller.submissions(args.runs) | caller.histories(args.runs, window)
                else:
                    measured = caller.histories(args.runs, window) | caller.submissions(args.runs)
                results[state][caller.user] = measured
        warm(callers[1], audit)
        audit.mark()
        polled = storm(args.pollers, args.poll_seconds, hpcapi_poller(url))
        for _, _, calls, size in audit.since_mark():
            polled.slurm_calls += calls
            polled.slurm_bytes += size
        straight = storm(args.pollers, args.poll_seconds,
                         lambda _: direct_window(rest, version, MANY))
        straight.slurm_calls = len(straight.ms) + straight.failed
    finally:
        for caller in callers:
            cancel_all(caller.user)
        cancel_all(FOREIGN)
    report(args, release, version, results, polled, straight)
    alone, flooded, refused = fairness(url, args.runs, args.flooders)
    print(f"\nfairness: bob's plain submit p50 {statistics.median(alone):.1f} ms alone,"
          f" {statistics.median(flooded):.1f} ms (p90 {p(flooded, .9):.1f}) while alice keeps"
          f" {args.flooders} week-long histories in flight ({refused} of hers answered 429)")
    goal("the other user's submit p50 <= 100 ms during the flood",
         statistics.median(flooded) <= 100)


def goal(text: str, met: bool) -> None:
    """One goal's line."""
    print(f"goal: {text}: {'met' if met else 'NOT met'}")


def report(args: argparse.Namespace, release: str, version: str,
           results: dict[str, dict[str, dict[str, Figures]]],
           polled: Storm, straight: Storm) -> None:
    """The table and the goals."""
    print(f"\nSlurm {release}, slurmrestd {version}; through Apache, {args.runs} calls each; "
          f"empty = as it is, full = with {args.foreign} held jobs of carol's in slurmctld")
    print(f"{'caller':6} {'operation':24} {'p50':>8} {'p90':>8} {'KB':>8} | {'p50':>8} "
          f"{'p90':>8} {'KB':>8} | {'p50 ratio':>9}")
    worst = 0.0
    for user, ops in results["empty"].items():
        rows = [(name, figures, results["full"][user][name]) for name, figures in ops.items()]
        for name, before, after in rows:
            ratio = after.p50 / before.p50
            if not name.startswith("direct"):
                worst = max(worst, ratio)
            print(f"{user:6} {name:24} {before.p50:8.1f} {p(before.ms, .9):8.1f} "
                  f"{kb(before.bytes):>8} | {after.p50:8.1f} {p(after.ms, .9):8.1f} "
                  f"{kb(after.bytes):>8} | {ratio:8.2f}x")
    print()
    goal(f"with {args.foreign} foreign jobs every operation's p50 <= 1.5x its empty-cluster "
         f"value (worst {worst:.2f}x)", worst <= 1.5)
    many = results["full"][MANY]
    window = many["direct slurmrestd window"]
    repeated, first = many["query_status, repeated"], many["query_status, first"]
    share = statistics.median(repeated.bytes) / statistics.median(window.bytes)
    goal(f"dave's repeated query_status p50 <= 0.2x one direct fetch of the window "
         f"({repeated.p50 / window.p50:.3f}x)", repeated.p50 <= 0.2 * window.p50)
    goal(f"and it reads <= 5 % of that fetch's bytes ({100 * share:.2f} %)", share <= 0.05)
    paired = statistics.median(h / d for h, d in zip(first.ms, window.ms, strict=True))
    goal(f"dave's first query_status p50 <= 1.2x the direct fetch "
         f"({first.p50 / window.p50:.2f}x; each against the direct fetch next to it: "
         f"median {paired:.2f}x)", first.p50 <= 1.2 * window.p50)
    for user in (FEW, MANY):
        keyed = results["full"][user]["keyed submit"].p50
        plain = results["full"][user]["plain submit"].p50
        goal(f"{user}'s first keyed submission <= 1.5x a plain one ({keyed / plain:.2f}x)",
             keyed <= 1.5 * plain)
    print(f"\n{args.pollers} clients polling dave's query_status, each starting calls for "
          f"{args.poll_seconds:.0f} s:")
    print(f"{'':24} {'answers/s':>10} {'p99 ms':>10} {'429s':>6} {'failed':>7} "
          f"{'slurmrestd req/s':>17} {'slurmrestd MB/s':>16} {'Slurm CPU s/s':>14}")
    for name, run in (("through hpcapi", polled), ("straight to slurmrestd", straight)):
        print(f"{name:24} {run.rate:10.1f} {p(run.ms, .99):10.0f} {run.throttled:6} "
              f"{run.failed:7} {run.slurm_calls / run.seconds:17.2f} "
              f"{run.slurm_bytes / run.seconds / 1e6:16.2f} "
              f"{run.slurm_cpu_s / run.seconds:14.3f}")
    print("(per second until the last answer: calls under way at the end are waited for and "
          "counted; Slurm CPU: slurmrestd, slurmdbd and MariaDB together)")
    for name, run in (("through hpcapi", polled), ("straight to slurmrestd", straight)):
        for failure, count in run.failures.most_common(5):
            print(f"  failed {name}: {count} x {failure}")
    # Load per second of the storm: the direct storm's clients wait minutes for each answer,
    # so they make few requests; what each costs is in the bytes and the CPU time.
    # Per second of each storm: the direct one lasts longer, its last answers minutes late.
    load_bytes = (straight.slurm_bytes / straight.seconds) / max(
        polled.slurm_bytes / polled.seconds, 1e-9)
    load_cpu = (straight.slurm_cpu_s / straight.seconds) / max(
        polled.slurm_cpu_s / polled.seconds, 1e-9)
    goal(f"hpcapi serves >= 5x the answers per second ({polled.rate / max(straight.rate, 1e-9):.1f}"
         f"x)", polled.rate >= 5 * straight.rate)
    goal(f"with Slurm's load >= 10x lower ({load_bytes:.0f}x fewer bytes per second from "
         f"slurmrestd, {load_cpu:.1f}x less CPU time per second)",
         load_bytes >= 10 and load_cpu >= 10)
    cap_mb = WORKER_RSS_CAP_MB
    goal(f"each gunicorn worker's memory within {cap_mb} MB (largest "
         f"{polled.worker_rss_kib / 1024:.0f} MB)", polled.worker_rss_kib / 1024 <= cap_mb)


if __name__ == "__main__":
    main()
