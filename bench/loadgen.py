"""A bounded load on hpcapi through Apache, with real Kerberos, and the checks that follow it.

``run_load`` starts ``clients`` clients, spread over a few processes (the Python client costs
~1.7 ms of CPU per request, so 64 threads in one process would measure the client, not the
server), each client with its own ``requests.Session`` and ``HTTPSPNEGOAuth`` from the keytab of
alice, bob or svc-pipeline in turn. Each client loops over a mix of operations until its
deadline (or a stop event): submit a held job with an ``Idempotency-Key``, ``query_status``, and
``GET job/<id>`` of one of its own jobs. Every attempt is recorded: HTTP status, ``reason``,
latency, job id, key.

A submit whose attempt ends without an hpcapi answer (connection error, time-out) or with a 5xx
is sent again with the same key and the same body, as the hpcapi client does: that is what shows
that a submit whose answer was lost creates no second job.

``verify_jobs`` then checks Slurm itself: every job id answered with call_success exists, in
slurmctld and in accounting, exactly once; no key has more than one job (hpcapi writes
``hpcapi-idempotency:<key>:<digest>`` into the job's comment, which ``squeue -o %k`` shows; this
Slurm keeps no job comment in accounting, ``AccountingStoreFlags`` lacking ``job_comment``);
and every job the run made is cancelled afterwards (``cleanup``).

Loopback only; every loop is bounded by a deadline. Run as root with the dev stack up; see
``bench/soak.py`` for the command line.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REALM = "HPCAPI.TEST"
# keytab name -> principal; the local users are alice, bob and pipeline.
PRINCIPALS = {"alice": "alice@HPCAPI.TEST", "bob": "bob@HPCAPI.TEST",
              "svc-pipeline": "svc-pipeline@HPCAPI.TEST"}
LOCAL_USER = {"alice": "alice", "bob": "bob", "svc-pipeline": "pipeline"}
# The codes hpcapi (or Apache in front of it) may answer with a 5xx while a part is down.
NAMED_5XX = {"backend_query_failed", "backend_unavailable", "backend_timeout",
             "service_unavailable"}
# The codes a request of this load may legitimately answer with, outage or not.
NAMED_CODES = NAMED_5XX | {"job_not_found", "unauthenticated",
                           "backend_query_job_submission_failed", "too_many_requests"}
# How often one request is sent again after a 429 too_many_requests before it counts as one.
MAX_THROTTLED = 30
SCRIPT = "#!/bin/bash\ntrue\n"
CLIENT_TIMEOUT = 30.0  # seconds; hpcapi's own backend timeout is 10 s per slurmrestd call
SUBMIT_ATTEMPTS = 8


@dataclass
class Outcome:
    """One HTTP attempt as the client saw it."""

    client: int
    user: str
    op: str  # submit | history | detail | probe | lost-answer
    start: float  # wall clock, seconds
    latency_ms: float
    status: int  # 0: no HTTP answer at all (see error)
    reason: str | None = None
    job: str | None = None
    key: str | None = None
    attempt: int = 1
    replay: bool = False
    error: str | None = None  # exception class when there was no HTTP answer
    resent: bool = False  # no answer (or a 5xx for a submit), so the client sent it again
    named: bool = True  # a success or a call_failure with a known code and a JSON body


@dataclass
class LoadConfig:
    """What one load run does."""

    url: str
    ca: str
    keytabs: str
    clients: int = 4
    duration: float = 20.0
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    # relative weights of the operations
    mix: tuple[tuple[str, int], ...] = (("submit", 2), ("history", 3), ("detail", 5))
    processes: int = 0  # 0: choose (about 16 clients per process, at most the CPU count * 2)
    timeout: float = CLIENT_TIMEOUT
    think: float = 0.0  # seconds between a client's requests
    retry_grace: float = 90.0  # how long after the deadline a lost submit is still retried
    # Cancel each held job this long after it was accepted (None: keep them until the end), so
    # that a long load keeps what slurmctld holds, and so each answer's size, steady.
    cancel_after: float | None = None

    @property
    def job_name(self) -> str:
        """The Slurm job name every job of this run carries (for clean-up by name)."""
        return f"soak-{self.run_id}"


def stack_paths() -> dict[str, str]:
    """URL, CA bundle and keytab directory of the dev stack (from `dev/stack env`'s variables)."""
    return {"url": os.environ["HPCAPI_URL"], "ca": os.environ["REQUESTS_CA_BUNDLE"],
            "keytabs": os.environ["HPCAPI_DEV_KEYTABS"]}


def make_session(keytabs: str, keytab_name: str, ca: str, fresh: bool = False) -> Any:
    """A requests session authenticating as the keytab's principal (SPNEGO, opportunistic).

    ``fresh``: a new, empty credential cache, so the first request needs the KDC (a TGT and a
    service ticket); otherwise the cache is per thread and tickets are reused.
    """
    import gssapi
    import requests
    from requests_gssapi import OPTIONAL, HTTPSPNEGOAuth

    tag = uuid.uuid4().hex if fresh else f"{os.getpid()}-{threading.get_ident()}"
    name = gssapi.Name(PRINCIPALS[keytab_name], gssapi.NameType.kerberos_principal)
    store: dict[bytes | str, bytes | str] = {"client_keytab": f"{keytabs}/{keytab_name}.keytab",
             "ccache": f"MEMORY:load-{keytab_name}-{tag}"}
    creds = gssapi.Credentials(name=name, usage="initiate", store=store)
    session = requests.Session()
    session.verify = ca
    session.auth = HTTPSPNEGOAuth(creds=creds, opportunistic_auth=True,
                                  mutual_authentication=OPTIONAL)
    return session


def classify(response: Any) -> tuple[str | None, bool, dict[str, Any]]:
    """(reason, named, body) of an answer: named means hpcapi's JSON shape with a known code."""
    try:
        body = response.json()
    except ValueError:
        return None, False, {}
    if not isinstance(body, dict) or body.get("status") not in ("call_success", "call_failure"):
        return None, False, {}
    reason = body.get("reason")
    if body["status"] == "call_success":
        return str(reason), response.status_code < 400, body
    named = isinstance(reason, str) and reason in NAMED_CODES and response.status_code != 500
    return str(reason), named, body


class LoadClient:
    """One client: a session, its own jobs, and the record of every attempt."""

    def __init__(self, cfg: LoadConfig, index: int, sink: list[Outcome]) -> None:
        self.cfg = cfg
        self.index = index
        self.keytab = list(PRINCIPALS)[index % len(PRINCIPALS)]
        self.user = LOCAL_USER[self.keytab]
        self.sink = sink
        self.session: Any = None
        self.jobs: list[str] = []
        self.to_cancel: list[tuple[float, str]] = []
        self.count = 0
        # keys are unique per client object: a warm-up and the run proper never share one
        self.nonce = uuid.uuid4().hex[:6]
        self.rng = random.Random(f"{cfg.run_id}-{index}")  # noqa: S311 - not for security

    def _session(self) -> Any:
        if self.session is None:
            self.session = make_session(self.cfg.keytabs, self.keytab, self.cfg.ca)
        return self.session

    def _failed(self, outcome: Outcome, exc: Exception) -> None:
        outcome.error = type(exc).__name__
        outcome.named = False
        if self.session is not None:
            self.session.close()
        self.session = None

    def attempt(self, op: str, method: str, path: str, **kwargs: Any) -> tuple[Outcome, dict]:
        """Send one request and record it; after a 429, wait its Retry-After and send it again,
        as the hpcapi client does (nothing of a refused request was done)."""
        for _ in range(MAX_THROTTLED):
            outcome, body, retry_after = self._attempt_once(op, method, path, **kwargs)
            if outcome.status != 429:
                break
            time.sleep(retry_after)
        return outcome, body

    def _attempt_once(self, op: str, method: str, path: str,
                      **kwargs: Any) -> tuple[Outcome, dict, float]:
        import requests

        started, t0 = time.time(), time.perf_counter()
        outcome = Outcome(self.index, self.user, op, started, 0.0, 0)
        body: dict[str, Any] = {}
        retry_after = 1.0
        try:
            response = self._session().request(method, f"{self.cfg.url}/{path}",
                                               timeout=self.cfg.timeout, **kwargs)
            outcome.status = response.status_code
            outcome.reason, outcome.named, body = classify(response)
            retry_after = float(response.headers.get("Retry-After") or 1)
        except requests.RequestException as exc:
            # A broken connection: start the next request on a fresh one.
            self._failed(outcome, exc)
        except Exception as exc:  # noqa: BLE001 - e.g. gssapi failing to get a ticket
            self._failed(outcome, exc)
        outcome.latency_ms = (time.perf_counter() - t0) * 1000
        self.sink.append(outcome)
        return outcome, body, retry_after

    def submit(self, give_up_at: float) -> None:
        """Submit one held job with a fresh key; resend it with that key until hpcapi answers."""
        self.count += 1
        key = f"soak-{self.cfg.run_id}-{self.nonce}-{self.index}-{self.count}"
        job = {"partition": "quick", "script-body": SCRIPT, "hold": True,
               "job-name": self.cfg.job_name}
        data = json.dumps(job)
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            outcome, body = self.attempt("submit", "POST", "submit_job", data=data,
                                         headers=headers)
            outcome.key, outcome.attempt = key, attempt
            outcome.replay = body.get("idempotent_replay") is True
            if outcome.status == 200 and outcome.reason and outcome.reason.isdigit():
                outcome.job = outcome.reason
                self.jobs.append(outcome.reason)
                self.to_cancel.append((time.time(), outcome.reason))
                return
            lost = (outcome.status == 0 and "Timeout" not in (outcome.error or "")) \
                or outcome.status >= 500
            if not lost or time.time() > give_up_at or attempt == SUBMIT_ATTEMPTS:
                return
            outcome.resent = True
            time.sleep(min(4.0, 0.25 * 2 ** (attempt - 1)) * self.rng.uniform(0.5, 1.0))

    def get(self, op: str, path: str, **kwargs: Any) -> Outcome:
        """A GET; resent (at most twice) when the connection broke without any answer.

        Apache closes a keep-alive client connection without an answer when gunicorn breaks
        off mid-request (mod_proxy_http, so that the client retries an idempotent request), and
        clients, the hpcapi one included, resend a GET then. A time-out is never resent.
        """
        for attempt in range(1, 4):
            outcome, _ = self.attempt(op, "GET", path, **kwargs)
            outcome.attempt = attempt
            if outcome.status or "Timeout" in (outcome.error or "") or attempt == 3:
                return outcome
            outcome.resent = True
            time.sleep(0.1 * attempt)
        raise AssertionError("unreachable")

    def history(self) -> None:
        """GET query_status."""
        self.get("history", "query_status", params={"hours": "1"})

    def detail(self) -> None:
        """GET job/<id> of one of this client's own jobs (a submit first when it has none)."""
        if not self.jobs:
            self.history()
            return
        job = self.rng.choice(self.jobs)
        self.get("detail", f"job/{job}").job = job

    def cancel_old_jobs(self) -> None:
        """Cancel this client's jobs accepted more than cancel_after seconds ago."""
        if self.cfg.cancel_after is None:
            return
        cutoff = time.time() - self.cfg.cancel_after
        due = [job for accepted, job in self.to_cancel if accepted < cutoff]
        if len(due) < 5:
            return
        self.to_cancel = [(t, job) for t, job in self.to_cancel if t >= cutoff]
        subprocess.run(["scancel", *due], capture_output=True, timeout=60)

    def run(self, deadline: float, stop: Any) -> None:
        """Loop over the mix until the deadline or the stop event."""
        ops = [op for op, weight in self.cfg.mix for _ in range(weight)]
        while time.time() < deadline and not (stop is not None and stop.is_set()):
            self.cancel_old_jobs()
            op = self.rng.choice(ops)
            if op == "submit":
                self.submit(deadline + self.cfg.retry_grace)
            elif op == "history":
                self.history()
            else:
                self.detail()
            if self.cfg.think:
                time.sleep(self.cfg.think)
        if self.session is not None:
            self.session.close()


def _process_main(cfg: LoadConfig, indexes: list[int], deadline: float, stop: Any,
                  out_path: str) -> None:
    """One load process: a thread per client; outcomes written to out_path as JSON lines."""
    sink: list[Outcome] = []
    clients = [LoadClient(cfg, i, sink) for i in indexes]
    threads = [threading.Thread(target=c.run, args=(deadline, stop), daemon=True)
               for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        # bounded: a client stops at its deadline, plus retries and one request's time-out
        thread.join(max(1.0, deadline - time.time()) + cfg.retry_grace + cfg.timeout * 2)
    with open(out_path, "w", encoding="utf-8") as handle:
        for outcome in list(sink):
            handle.write(json.dumps(asdict(outcome)) + "\n")


class Load:
    """A load running in the background: start(), then stop() or wait() -> outcomes."""

    def __init__(self, cfg: LoadConfig) -> None:
        self.cfg = cfg
        self.ctx = multiprocessing.get_context("fork")
        self.stop_event = self.ctx.Event()
        self.dir = tempfile.mkdtemp(prefix="hpcapi-load-")
        self.procs: list[Any] = []
        self.started = 0.0
        self.outcomes: list[Outcome] = []

    def start(self) -> Load:
        """Start every client process."""
        cfg = self.cfg
        n = cfg.processes or max(1, min((cfg.clients + 15) // 16, (os.cpu_count() or 2) * 2))
        groups = [list(range(cfg.clients))[i::n] for i in range(n)]
        self.started = time.time()
        deadline = self.started + cfg.duration
        for number, group in enumerate(groups):
            if not group:
                continue
            proc = self.ctx.Process(
                target=_process_main,
                args=(cfg, group, deadline, self.stop_event, f"{self.dir}/{number}.jsonl"),
                daemon=True)
            proc.start()
            self.procs.append(proc)
        return self

    def stop(self) -> list[Outcome]:
        """Ask every client to finish its current operation, then collect."""
        self.stop_event.set()
        return self.wait()

    def wait(self) -> list[Outcome]:
        """Wait for the clients (bounded) and read their outcomes."""
        limit = time.time() + max(0.0, self.started + self.cfg.duration - time.time()) \
            + self.cfg.retry_grace + self.cfg.timeout * 3
        for proc in self.procs:
            proc.join(max(1.0, limit - time.time()))
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        outcomes = []
        for path in sorted(Path(self.dir).glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                outcomes.append(Outcome(**json.loads(line)))
            path.unlink()
        os.rmdir(self.dir)
        self.outcomes = sorted(outcomes, key=lambda o: o.start)
        return self.outcomes


def run_load(cfg: LoadConfig) -> list[Outcome]:
    """Run a load to its end and return every attempt."""
    return Load(cfg).start().wait()


# ------------------------------------------------------------------ figures

def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Figures:
    """What a set of attempts amounts to."""

    requests: int
    successes: int
    named_errors: dict[str, int]  # "<status> <reason>" -> count
    server_500: int
    unnamed: list[str]  # attempts with no hpcapi answer or an answer not in its shape
    dropped_resent: int  # attempts without an answer that the client then resent
    hangs: int  # attempts that ran into the client's time-out
    max_latency_ms: float
    p50_ms: float
    p99_ms: float
    throughput: float  # attempts per second over the span
    submits_retried: int  # keys sent more than once
    throttled: int  # answered 429 too_many_requests, and so sent again after Retry-After
    replays: int  # retries answered idempotent_replay

    def as_dict(self) -> dict[str, Any]:
        """For JSON output."""
        return asdict(self)


def figures(outcomes: list[Outcome], span: float | None = None) -> Figures:
    """Count and time a set of attempts."""
    latencies = [o.latency_ms for o in outcomes]
    errors: Counter[str] = Counter()
    unnamed = []
    for o in outcomes:
        if o.status and o.reason and (o.status >= 400):
            errors[f"{o.status} {o.reason}"] += 1
        if not o.named and not o.resent:
            unnamed.append(f"{o.op} {o.status or o.error} {o.reason or ''}".strip())
    if span is None:
        span = (max(o.start + o.latency_ms / 1000 for o in outcomes)
                - min(o.start for o in outcomes)) if outcomes else 0.0
    keys = Counter(o.key for o in outcomes if o.key)
    return Figures(
        requests=len(outcomes),
        successes=sum(1 for o in outcomes if 200 <= o.status < 300),
        named_errors=dict(sorted(errors.items())),
        server_500=sum(1 for o in outcomes if o.status == 500),
        unnamed=unnamed,
        dropped_resent=sum(1 for o in outcomes if o.resent and not o.status),
        throttled=sum(1 for o in outcomes if o.status == 429),
        hangs=sum(1 for o in outcomes if o.error and "Timeout" in o.error),
        max_latency_ms=max(latencies, default=0.0),
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p99_ms=percentile(latencies, 99),
        throughput=len(outcomes) / span if span else 0.0,
        submits_retried=sum(1 for count in keys.values() if count > 1),
        replays=sum(1 for o in outcomes if o.replay),
    )


# ------------------------------------------------------------------ Slurm's side

def _run(command: list[str], timeout: float = 60) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True,
                          timeout=timeout).stdout


def live_jobs_named(job_name: str) -> list[tuple[str, str, str]]:
    """(job id, user, comment) of every job with that name that slurmctld holds, or that
    accounting has (the dev stack stores job comments there: AccountingStoreFlags=job_comment),
    so that jobs slurmctld has already forgotten (MinJobAge) are counted too."""
    rows: dict[str, tuple[str, str, str]] = {}
    out = _run(["sacct", "-n", "-X", "-P", "-a", "--name", job_name, "-S", "now-6hours",
                "-E", "now", "-o", "JobID,User,Comment"])
    for line in out.splitlines():
        job, user, comment = (line.split("|", 2) + ["", ""])[:3]
        if job.strip().isdigit():
            rows[job.strip()] = (job.strip(), user.strip(), comment.strip())
    out = _run(["squeue", "-h", "--states=all", "-n", job_name, "-o", "%i|%u|%k"])
    for line in out.splitlines():
        job, user, comment = (line.split("|", 2) + ["", ""])[:3]
        rows[job.strip()] = (job.strip(), user.strip(), comment.strip())
    return list(rows.values())


def accounting_ids(job_ids: Iterable[str]) -> Counter[str]:
    """How many times accounting lists each job id (allocations only)."""
    ids = sorted(set(job_ids), key=int)
    found: Counter[str] = Counter()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out = _run(["sacct", "-n", "-X", "-P", "-a", "-o", "JobID", "-j", ",".join(chunk)])
        found.update(line.strip() for line in out.splitlines() if line.strip())
    return found


@dataclass
class JobCheck:
    """Slurm's side of a run."""

    accepted: int  # distinct job ids answered with call_success
    duplicates: int  # jobs beyond the first for one idempotency key
    lost: list[str]  # accepted ids Slurm does not have (live or accounting)
    not_in_accounting: list[str]  # accepted ids accounting lacks (after waiting)
    twice_in_accounting: list[str]
    orphans: list[str]  # jobs of this run whose key never got a success answer
    inconsistent_keys: list[str]  # a key answered with two different job ids
    wrong_owner: list[str]  # a job owned by another user than the one who submitted it
    exempt_lost: list[str] = field(default_factory=list)  # exempt ids Slurm no longer has

    @property
    def ok(self) -> bool:
        """No duplicate, no lost, nothing missing or twice in accounting, no inconsistency."""
        return not (self.duplicates or self.lost or self.not_in_accounting
                    or self.twice_in_accounting or self.inconsistent_keys or self.wrong_owner)

    def as_dict(self) -> dict[str, Any]:
        """For JSON output."""
        return asdict(self)


def verify_jobs(outcomes: list[Outcome], job_name: str, accounting_wait: float = 90.0,
                exempt: frozenset[str] = frozenset()) -> JobCheck:
    """Check the run's jobs in slurmctld and accounting (see the module docstring).

    ``exempt`` ids are left out of the checks; those Slurm no longer holds under their key
    are listed in ``exempt_lost``."""
    answered: dict[str, set[str]] = {}
    submitter: dict[str, str] = {}
    exempt_keys = {o.key: o.job for o in outcomes if o.key and o.job in exempt}
    for o in outcomes:
        if o.key and o.job and o.key not in exempt_keys:
            answered.setdefault(o.key, set()).add(o.job)
            submitter[o.job] = o.user
    accepted = {job for jobs in answered.values() for job in jobs}
    live = live_jobs_named(job_name)
    by_key: dict[str, list[str]] = {}
    owner, key_of = {}, {}
    for job, user, comment in live:
        owner[job] = user
        parts = comment.split(":")
        key = parts[1] if len(parts) >= 3 and parts[0] == "hpcapi-idempotency" else ""
        key_of[job] = key
        by_key.setdefault(key, []).append(job)
    duplicates = sum(len(jobs) - 1 for key, jobs in by_key.items() if key)
    orphans = sorted((job for key, jobs in by_key.items() for job in jobs
                      if key not in answered), key=int)
    inconsistent = sorted(key for key, jobs in answered.items() if len(jobs) > 1)
    # An id answered for one key but held by slurmctld for another: the job first given that
    # id was lost (e.g. slurmctld killed before it saved the job) and the id handed out again.
    reused = sorted((job for key, jobs in answered.items() for job in jobs
                     if job in key_of and key_of[job] != key), key=int)
    deadline = time.time() + accounting_wait
    while True:
        counted = accounting_ids(accepted) if accepted else Counter()
        missing = sorted((j for j in accepted if counted[j] == 0), key=int)
        if not missing or time.time() > deadline:
            break
        time.sleep(2)
    lost = sorted({*(j for j in missing if j not in owner), *reused}, key=int)
    exempt_lost = sorted((job for key, job in exempt_keys.items()
                          if job not in key_of or key_of[job] != key), key=int)
    wrong = sorted((j for j in accepted if j in owner and owner[j] != submitter[j]
                    and j not in reused), key=int)
    return JobCheck(
        accepted=len(accepted), duplicates=duplicates, lost=lost, not_in_accounting=missing,
        twice_in_accounting=sorted((j for j in accepted if counted[j] > 1), key=int),
        orphans=[j for j in orphans if j not in exempt], inconsistent_keys=inconsistent,
        wrong_owner=wrong, exempt_lost=exempt_lost)


def cleanup(job_name: str, job_ids: Iterable[str] = (), settle: float = 60.0) -> None:
    """Cancel every job of the run: by name (any user) and by id; then check that slurmctld
    holds none of them unfinished, cancelling again while any is (a submission still under way
    when the first scancel ran, or a scancel slurmctld was too busy to answer).

    Raises RuntimeError naming the jobs still there after ``settle`` seconds."""
    ids = sorted(set(job_ids))
    deadline = time.monotonic() + settle
    while True:
        subprocess.run(["scancel", "-n", job_name], capture_output=True, timeout=120)
        for start in range(0, len(ids), 500):
            subprocess.run(["scancel", *ids[start:start + 500]], capture_output=True,
                           timeout=120)
        left = unfinished_named(job_name)
        if not left:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs named {job_name} still unfinished after cleanup: "
                               f"{left[:20]}")
        time.sleep(1.0)


def unfinished_named(job_name: str) -> list[str]:
    """Ids of the jobs with that name that slurmctld holds pending, running or suspended."""
    out = _run(["squeue", "-h", "-n", job_name, "--states=PD,R,S,CF", "-o", "%i"])
    return [line.strip() for line in out.splitlines() if line.strip()]


# ------------------------------------------------------------------ gunicorn's memory

def gunicorn_master(state: str) -> int:
    """The gunicorn master's pid, from the dev stack's pid file."""
    return int(Path(state, "hpcapi", "run", "gunicorn.pid").read_text().strip())


def gunicorn_workers(state: str) -> list[int]:
    """The pids of the gunicorn master's children (its workers)."""
    out = subprocess.run(["pgrep", "-P", str(gunicorn_master(state))], capture_output=True,
                         text=True, timeout=10).stdout
    return [int(pid) for pid in out.split()]


RSS_SAMPLE_S = 5.0  # how often the workers' memory is read during a load run


def workers_rss_kib(state: str) -> dict[int, int]:
    """Resident memory of each gunicorn worker, KiB."""
    rss = {}
    for pid in gunicorn_workers(state):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[pid] = int(line.split()[1])
        except OSError:
            continue
    return rss


@dataclass
class LoadReport:
    """A load run's figures, Slurm's check and the workers' memory."""

    clients: int
    duration: float
    figures: Figures
    jobs: JobCheck
    by_op: dict[str, dict[str, float]]
    rss_kib_start: dict[int, int]
    rss_kib_end: dict[int, int]
    rss_samples_kib: list[int] = field(default_factory=list)  # summed, every RSS_SAMPLE_S

    @property
    def rss_growth_pct(self) -> float:
        """Growth of the workers' summed resident memory over the run, in percent.

        Under load a worker's RSS swings by 10 % or more from one moment to the next, as
        answers of several MB are decoded and freed, so two single readings (start, end) say
        little. With enough samples, the growth is that of the least-squares line through
        them, from its value at the start to its value at the end: a leak shows in full, a
        swing hardly."""
        samples = self.rss_samples_kib
        if len(samples) >= 8:
            fit = statistics.linear_regression(range(len(samples)), samples)
            start_fit = fit.intercept
            end_fit = fit.intercept + fit.slope * (len(samples) - 1)
            return (end_fit - start_fit) / start_fit * 100
        start, end = sum(self.rss_kib_start.values()), sum(self.rss_kib_end.values())
        return (end - start) / start * 100 if start else 0.0

    @property
    def same_workers(self) -> bool:
        """Whether the same workers ran from start to end (so the memory figure is fair)."""
        return set(self.rss_kib_start) == set(self.rss_kib_end)

    def as_dict(self) -> dict[str, Any]:
        """For JSON output."""
        return {"clients": self.clients, "duration": self.duration,
                "figures": self.figures.as_dict(), "jobs": self.jobs.as_dict(),
                "by_op": self.by_op, "rss_kib_start": self.rss_kib_start,
                "rss_kib_end": self.rss_kib_end, "rss_samples_kib": self.rss_samples_kib,
                "rss_growth_pct": self.rss_growth_pct}


def load_test(cfg: LoadConfig, state: str, warmup: float = 5.0) -> LoadReport:
    """Warm up, measure memory, run the load, measure again, check Slurm, clean up."""
    warm = LoadConfig(**{**asdict(cfg), "duration": warmup, "run_id": cfg.run_id})
    warm_outcomes = run_load(warm) if warmup > 0 else []
    rss_start = workers_rss_kib(state)
    samples = [sum(rss_start.values())]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(RSS_SAMPLE_S):
            samples.append(sum(workers_rss_kib(state).values()))

    sampler = threading.Thread(target=sample, daemon=True)
    load = Load(cfg).start()
    sampler.start()
    try:
        outcomes = load.wait()
    finally:
        done.set()
        sampler.join()
    rss_end = workers_rss_kib(state)
    samples.append(sum(rss_end.values()))
    all_outcomes = warm_outcomes + outcomes
    try:
        jobs = verify_jobs(all_outcomes, cfg.job_name)
    finally:
        cleanup(cfg.job_name, [o.job for o in all_outcomes if o.job])
    by_op = {}
    for op in sorted({o.op for o in outcomes}):
        lat = [o.latency_ms for o in outcomes if o.op == op]
        by_op[op] = {"requests": len(lat), "p50_ms": statistics.median(lat),
                     "p99_ms": percentile(lat, 99), "max_ms": max(lat)}
    return LoadReport(cfg.clients, cfg.duration, figures(outcomes, cfg.duration), jobs, by_op,
                      rss_start, rss_end, samples)
