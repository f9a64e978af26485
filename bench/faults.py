"""Kill one part of the dev stack at a time, under load, and see what hpcapi's callers get.

For each component, while a ``bench.loadgen`` load runs: ``kill -9`` its process (from the pid
files dev/stack writes; for "one gunicorn worker", a child of the gunicorn master), keep the load
running for the outage, then bring it back (``dev/stack up``; a killed gunicorn worker is
replaced by its master, so there the return is the replacement's arrival) and keep loading.

What is measured, per fault:
- every attempt's answer: success, a named error (``backend_unavailable``...), a 500, or no
  HTTP answer at all (a connection error, or a hang into the client's 30 s time-out);
- recovery: from the component's return (dev/stack up finished) until a *new* client (fresh
  Kerberos credentials, so the KDC is exercised too) gets 200 from both ``ping`` and
  ``query_status``; at most 5 s is the goal;
- Slurm's side (``loadgen.verify_jobs``): no key with two jobs, no accepted job missing;
- a lost answer: after recovery, a submit sent with an ``Idempotency-Key`` whose answer the
  client does not wait for (1 ms read time-out), then resent with the same key: one job only.

Callers must hold /tmp/hpcapi-stack.lock (dev/soak and the tests are run under flock); nothing
here takes it, because dev/stack up is run from inside.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.loadgen import Figures, JobCheck, LoadConfig, Outcome

REPO = Path(__file__).resolve().parents[1]
RECOVERY_LIMIT = 5.0  # seconds, the requirement
# slurmctld answers a submission at once but writes its job state (StateSaveLocation/job_state)
# in the background, at most once every 5 s (SAVE_MAX_WAIT in slurmctld/state_save.c): a SIGKILL
# loses the jobs it acknowledged after its last save began. That save began shortly before the
# file's mtime (seen: the file is written within milliseconds; slurmctld warns past 0.5 s).
SLURMCTLD_SAVE_DURATION = 0.5
PROBE_GIVE_UP = 120.0

# component -> (pid file under the state directory, process name); the Slurm cluster's parts
# (CLUSTER_PARTS) under the chosen cluster's state directory, the others under the front's
PID_FILES = {
    "slurmrestd": ("slurm/run/slurmrestd.pid", "slurmrestd"),
    "slurmctld": ("slurm/run/slurmctld.pid", "slurmctld"),
    "slurmdbd": ("slurm/run/slurmdbd.pid", "slurmdbd"),
    "mariadb": ("mysql/run/mysqld.pid", "mariadbd"),
    "kdc": ("krb5/krb5kdc.pid", "krb5kdc"),
    "gunicorn-worker": ("hpcapi/run/gunicorn.pid", "hpcapi-server"),
    "gunicorn-master": ("hpcapi/run/gunicorn.pid", "hpcapi-server"),
}
COMPONENTS = list(PID_FILES)
CLUSTER_PARTS = {"slurmrestd", "slurmctld", "slurmdbd", "mariadb"}


def state_dir() -> Path:
    """The dev stack's state directory (`dev/stack env` exports HPCAPI_DEV_STATE)."""
    return Path(os.environ.get("HPCAPI_DEV_STATE", "/var/lib/hpcapi-dev/state"))


def slurm_state_dir() -> Path:
    """The chosen Slurm cluster's state directory (`dev/stack env`: HPCAPI_DEV_SLURM_STATE)."""
    return Path(os.environ.get("HPCAPI_DEV_SLURM_STATE", str(state_dir())))


def slurmctld_last_save() -> float:
    """When slurmctld last wrote its job state (the file's mtime)."""
    return (slurm_state_dir() / "slurm" / "spool" / "ctld" / "job_state").stat().st_mtime


def wait_for_state_save(after: float, limit: float = 15.0) -> None:
    """Until slurmctld has written its job state since ``after`` (epoch seconds), at most
    ``limit`` seconds; the load under way gives it changes to save."""
    deadline = time.monotonic() + limit
    while slurmctld_last_save() <= after and time.monotonic() < deadline:
        time.sleep(0.2)


def component_pid(component: str) -> int:
    """The pid to kill for a component; for the worker, the gunicorn master's first child."""
    relative, name = PID_FILES[component]
    base = slurm_state_dir() if component in CLUSTER_PARTS else state_dir()
    pid = int((base / relative).read_text().strip())
    if component == "gunicorn-worker":
        workers = loadgen.gunicorn_workers(str(state_dir()))
        if not workers:
            raise RuntimeError("the gunicorn master has no worker")
        pid = min(workers)
    comm = Path(f"/proc/{pid}/comm").read_text().strip()
    if comm != name:
        raise RuntimeError(f"{component}: pid {pid} is {comm!r}, not {name}")
    return pid


def stack_up(log: Path) -> tuple[int, float]:
    """Run dev/stack up (the caller holds the stack lock); return code and seconds taken."""
    started = time.time()
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"\n=== dev/stack up at {time.strftime('%H:%M:%S')}\n")
        handle.flush()
        result = subprocess.run([str(REPO / "dev" / "stack"), "up"], stdout=handle,
                                stderr=subprocess.STDOUT, timeout=600)
    return result.returncode, time.time() - started


def wait_for_new_worker(old: list[int], killed: int, limit: float = 60.0) -> None:
    """Until the gunicorn master runs as many workers as before, the killed one replaced."""
    deadline = time.time() + limit
    while time.time() < deadline:
        now = loadgen.gunicorn_workers(str(state_dir()))
        if len(now) >= len(old) and killed not in now:
            return
        time.sleep(0.05)
    raise RuntimeError("the gunicorn master did not replace its killed worker")


def probe(paths: dict[str, str], timeout: float = 5.0) -> tuple[bool, str]:
    """A new client (fresh credentials: the KDC is needed) asks ping and query_status."""
    session = None
    try:
        session = loadgen.make_session(paths["keytabs"], "alice", paths["ca"], fresh=True)
        answers = []
        for path in ("ping", "query_status?hours=1"):
            response = session.get(f"{paths['url']}/{path}", timeout=timeout)
            reason, _, _ = loadgen.classify(response)
            answers.append(f"{response.status_code} {reason}")
            if response.status_code != 200:
                return False, "; ".join(answers)
        return True, "; ".join(answers)
    except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
        return False, type(exc).__name__
    finally:
        if session is not None:
            session.close()


def measure_recovery(paths: dict[str, str], since: float) -> tuple[float, int, str]:
    """Seconds from ``since`` until a probe succeeds (its end), probes made, the last answer."""
    count, last = 0, ""
    while time.time() - since < PROBE_GIVE_UP:
        count += 1
        ok, last = probe(paths)
        if ok:
            return time.time() - since, count, last
        time.sleep(0.2)
    return float("inf"), count, last


def lost_answer_check(paths: dict[str, str], job_name: str) -> dict[str, Any]:
    """A submit whose answer is never read, resent with its key: exactly one job must exist."""
    import requests

    key = f"lost-{uuid.uuid4().hex[:12]}"
    body = json.dumps({"partition": "quick", "script-body": loadgen.SCRIPT, "hold": True,
                       "job-name": job_name})
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    session = loadgen.make_session(paths["keytabs"], "bob", paths["ca"])
    first = "answered"
    try:
        try:
            session.post(f"{paths['url']}/submit_job", data=body, headers=headers,
                         timeout=(10, 0.001))
        except requests.RequestException as exc:
            first = type(exc).__name__
        session.close()
        # the hpcapi client's back-off after a time-out; the first attempt has finished by now
        time.sleep(3)
        retry = session.post(f"{paths['url']}/submit_job", data=body, headers=headers,
                             timeout=loadgen.CLIENT_TIMEOUT)
        answer = retry.json()
    finally:
        session.close()
    jobs = [job for job, _, comment in loadgen.live_jobs_named(job_name)
            if comment.startswith(f"hpcapi-idempotency:{key}:")]
    return {"key": key, "first_attempt": first, "retry_status": retry.status_code,
            "job": answer.get("jobid"), "replay": answer.get("idempotent_replay") is True,
            "jobs_with_key": len(jobs), "ok": retry.status_code == 200 and len(jobs) == 1
            and jobs == [answer.get("jobid")]}


@dataclass
class FaultReport:
    """What happened around one fault."""

    component: str
    killed_pid: int
    outage_s: float  # from the kill to the component's return
    stack_up_s: float  # how long dev/stack up took (0 for the worker: its master restarts it)
    stack_up_rc: int
    recovery_s: float  # from the return until a new client is served normally
    probes: int
    probe_answer: str
    figures: Figures
    during_outage: dict[str, int]  # "<status> <reason>" -> count, attempts begun in the outage
    after_recovery_failures: dict[str, int]  # attempts begun after recovery that failed
    jobs: JobCheck
    lost_answer: dict[str, Any]
    new_ticket_during_outage: str = ""
    notes: list[str] = field(default_factory=list)
    lost_by_slurmctld: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The invariants: no 500, nothing unnamed, no hang, jobs right, recovery <= 5 s.

        A 422 (Slurm refused the job) for the valid held jobs of the load is an outage
        misreported as a final refusal, which clients do not retry: a failure too.
        """
        refused = any(label.startswith("422 ") for label in self.figures.named_errors)
        return (not refused and self.figures.server_500 == 0 and not self.figures.unnamed
                and self.figures.hangs == 0 and self.jobs.ok and self.stack_up_rc == 0
                and self.recovery_s <= RECOVERY_LIMIT and bool(self.lost_answer.get("ok")))

    def as_dict(self) -> dict[str, Any]:
        """For JSON output."""
        data = asdict(self)
        data["ok"] = self.ok
        return data


def _count(outcomes: list[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in outcomes:
        reason = "submitted" if (o.reason or "").isdigit() else o.reason
        label = f"{o.status} {reason}" if o.status else f"no answer: {o.error}"
        counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))


def run_fault(component: str, clients: int = 4, before: float = 2.0, outage: float = 3.0,
              after: float = 3.0, log: Path | None = None) -> FaultReport:
    """Load, kill -9 the component, wait ``outage`` s, bring it back, measure, check Slurm."""
    paths = loadgen.stack_paths()
    log = log or Path(f"/tmp/hpcapi-faults-{os.getpid()}.log")
    cfg = LoadConfig(url=paths["url"], ca=paths["ca"], keytabs=paths["keytabs"],
                     clients=clients, duration=3600.0, retry_grace=60.0)
    notes: list[str] = []
    began = time.time()
    load = loadgen.Load(cfg).start()
    outcomes: list[Outcome] = []
    try:
        time.sleep(before)
        if component == "slurmctld":
            # slurmctld saves its state at most every 5 s: killed sooner after the last run's
            # cleanup, it would come back with that run's cancelled jobs pending again.
            wait_for_state_save(after=began)
        pid = component_pid(component)
        workers_before = loadgen.gunicorn_workers(str(state_dir()))
        t_kill = time.time()
        os.kill(pid, signal.SIGKILL)
        last_state_save = slurmctld_last_save() if component == "slurmctld" else None
        new_ticket = ""
        if component == "kdc":
            time.sleep(0.5)
            ok, new_ticket = probe(paths)
            new_ticket = ("served (!)" if ok else "refused on the client: ") + new_ticket
        time.sleep(max(0.0, outage - (time.time() - t_kill)))
        if component == "gunicorn-worker":
            wait_for_new_worker(workers_before, pid)
            rc, took = 0, 0.0
        else:
            rc, took = stack_up(log)
            if rc != 0:
                notes.append(f"dev/stack up failed ({rc}); see {log}")
        t_return = time.time()
        recovery, probes, last = measure_recovery(paths, t_return)
        t_recovered = t_return + recovery
        time.sleep(after)
    finally:
        outcomes = load.stop()
    lost_name = cfg.job_name + "-lost"
    try:
        lost = lost_answer_check(paths, lost_name)
    except Exception as exc:  # noqa: BLE001 - reported, and fails the fault
        lost = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    finally:
        loadgen.cleanup(lost_name)
    at_risk: frozenset[str] = frozenset()
    if last_state_save is not None:
        # A SIGKILL loses the jobs slurmctld acknowledged after its last state save began, and
        # it hands their ids out again. That is Slurm's own durability, not hpcapi's: those
        # jobs (acknowledged from the save's start to the kill) are checked apart and reported.
        notes.append(f"slurmctld's last state save: {t_kill - last_state_save:.1f} s before "
                     "the kill")
        save_began = last_state_save - SLURMCTLD_SAVE_DURATION
        # Sent before the kill and answered after the save began: acknowledged by the killed
        # slurmctld (its answer may reach the client just after the kill, on its way through
        # slurmrestd, hpcapi and Apache: seen, a job answered 5 ms after it), not by the new one.
        at_risk = frozenset(
            o.job for o in outcomes if o.job and o.status == 200 and o.start <= t_kill
            and save_began <= o.start + o.latency_ms / 1000 < t_return)
    try:
        jobs = loadgen.verify_jobs(outcomes, cfg.job_name, exempt=at_risk)
    finally:
        loadgen.cleanup(cfg.job_name, [o.job for o in outcomes if o.job])
    in_outage = [o for o in outcomes if t_kill <= o.start < t_return]
    later = [o for o in outcomes if o.start >= t_recovered and not 200 <= o.status < 300]
    return FaultReport(
        component=component, killed_pid=pid, outage_s=t_return - t_kill, stack_up_s=took,
        stack_up_rc=rc, recovery_s=recovery, probes=probes, probe_answer=last,
        figures=loadgen.figures(outcomes), during_outage=_count(in_outage),
        after_recovery_failures=_count(later), jobs=jobs, lost_answer=lost,
        new_ticket_during_outage=new_ticket, notes=notes, lost_by_slurmctld=jobs.exempt_lost)


def format_report(report: FaultReport) -> str:
    """A few lines for people."""
    f = report.figures
    j = report.jobs
    lines = [
        f"fault {report.component}: kill -9 pid {report.killed_pid}; back after "
        f"{report.outage_s:.1f} s (dev/stack up {report.stack_up_s:.1f} s, rc "
        f"{report.stack_up_rc}); hpcapi normal {report.recovery_s:.2f} s after its return "
        f"({report.probes} probes) -> {'OK' if report.ok else 'FAILED'}",
        f"  requests {f.requests}, ok {f.successes}, 500s {f.server_500}, unnamed "
        f"{len(f.unnamed)}, dropped and resent {f.dropped_resent}, hangs {f.hangs}, max "
        f"latency {f.max_latency_ms / 1000:.1f} s, p50 {f.p50_ms:.0f} ms, p99 {f.p99_ms:.0f} ms",
        f"  named errors: {_fmt(f.named_errors)}",
        f"  during the outage: {_fmt(report.during_outage)}",
        f"  failures after recovery: {_fmt(report.after_recovery_failures)}",
        f"  jobs: accepted {j.accepted}, duplicates {j.duplicates}, lost {len(j.lost)}, "
        f"missing in accounting {len(j.not_in_accounting)}, orphans {len(j.orphans)}, "
        f"keys retried {f.submits_retried}, replays {f.replays}",
        f"  lost answer resent with its key: {_fmt_lost(report.lost_answer)}",
        f"  acknowledged by slurmctld after its last state save, lost by Slurm itself: "
        f"{report.lost_by_slurmctld or 'none'}",
    ]
    if report.new_ticket_during_outage:
        lines.append(f"  new Kerberos client during the outage: {report.new_ticket_during_outage}")
    if f.unnamed:
        lines.append(f"  unnamed: {_fmt(_tally(f.unnamed))}")
    if j.lost or j.not_in_accounting or j.orphans or j.inconsistent_keys:
        lines.append(f"  job detail: lost {j.lost[:10]} missing {j.not_in_accounting[:10]} "
                     f"orphans {j.orphans[:10]} inconsistent {j.inconsistent_keys[:5]}")
    lines += [f"  note: {note}" for note in report.notes]
    return "\n".join(lines)


def _tally(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} x{n}" for label, n in counts.items()) or "none"


def _fmt_lost(lost: dict[str, Any]) -> str:
    if "error" in lost:
        return f"ERROR {lost['error']}"
    return (f"first attempt {lost['first_attempt']}, retry {lost['retry_status']} job "
            f"{lost['job']} replay={lost['replay']}, jobs with the key {lost['jobs_with_key']}")
