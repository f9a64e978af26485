"""hpcapi's view of Slurm: the slurmrestd API version in use and the calls hpcapi makes.

The version is chosen once at start-up: ``auto`` takes the newest version the server offers that
hpcapi supports; a configured version the server does not offer stops start-up.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from hpcapi.core.slurmsyntax import array_spec_holds
from hpcapi.core.translate import SbatchRules
from hpcapi.model import Identity, Job, JobDescription, Node, Partition
from hpcapi.slurm.client import SlurmrestClient, describe_slurm_errors, slurm_errors
from hpcapi.slurm.endpoints import endpoints, history_query
from hpcapi.slurm.errors import (
    JobFinishedError,
    JobGoneError,
    SlurmrestAuthError,
    SlurmrestRejectedError,
)
from hpcapi.slurm.records import (
    read_accounting_job,
    read_live_job,
    read_node,
    read_partition,
    read_pings,
)
from hpcapi.slurm.submit_body import render_submit_body
from hpcapi.slurm.versions import choose_version, sbatch_rules, version_key, versions_in_spec

log = logging.getLogger("hpcapi.slurm")

# Slurm error numbers that mean "no such job" rather than a failure.
_NO_SUCH_JOB = {2017}  # ESLURM_INVALID_JOB_ID
_NOTHING_FOUND = {9003}  # slurmdbd: "Nothing found with query"
_ALREADY_DONE = {2021}  # ESLURM_ALREADY_DONE: "Job/step already completing or completed"
_ACCESS_DENIED = {2002}  # ESLURM_ACCESS_DENIED
# How long after its end a job's exit code is asked of slurmctld (its MinJobAge is 300 s by
# default), how many such answers a worker keeps (about 50 bytes each), and how many one
# history may ask for (each is a call to slurmctld).
_LIVE_EXIT_SECONDS = 900
_LIVE_EXITS_KEPT = 100_000
_LIVE_EXITS_PER_HISTORY = 20


class SlurmBackend:
    """The Slurm operations hpcapi performs, for one slurmrestd and one API version."""

    def __init__(self, client: SlurmrestClient, configured_version: str, probe_user: Identity,
                 max_parallel_lists: int = 2):
        self._client = client
        self._configured = configured_version
        self._probe_user = probe_user
        self._version: str | None = None
        self._lock = threading.Lock()
        self._nodes: tuple[float, list[Node]] | None = None
        # job id -> (exit code, signal) from slurmctld, for finished jobs (Slurm 22.05)
        self._live_exits: OrderedDict[int, tuple[int | None, int | None]] = OrderedDict()
        # A job list from Slurm is large (22.05: about 10 KB a job, so megabytes for a busy
        # user) and reading it is CPU work that the GIL serialises anyway. Lists are read as
        # they arrive (hpcapi.slurm.listing), but each keeps its records until answered:
        # bounding how many a worker reads at once bounds that too; waiting threads hold nothing.
        self._list_slots = threading.BoundedSemaphore(max_parallel_lists)

    def offered_versions(self) -> set[str]:
        """Ask slurmrestd which API versions it serves (from its OpenAPI document)."""
        # slurmrestd wants a token even for its OpenAPI document; an unprivileged account's
        # token is enough and reveals nothing.
        answer = self._client.call("GET", "/openapi/v3", self._probe_user)
        return versions_in_spec(answer.body)

    def detect_version(self) -> str:
        """Choose the API version now (start-up), logging the choice."""
        with self._lock:
            offered = self.offered_versions()
            self._version = choose_version(self._configured, offered)
        log.info(
            "slurmrestd offers %s; using API version %s (api_version = %s)",
            ",".join(sorted(offered, key=version_key)),
            self._version,
            self._configured,
        )
        return self._version

    @property
    def probe_user(self) -> Identity:
        """The unprivileged account asked about what concerns no user."""
        return self._probe_user

    @property
    def api_version(self) -> str:
        """The API version in use, detecting it first if start-up could not reach slurmrestd."""
        if self._version is None:
            return self.detect_version()
        return self._version

    def ping(self, user: Identity) -> dict[str, Any]:
        """Ping slurmctld through slurmrestd as ``user``; return version and latency."""
        version = self.api_version
        answer = self._client.call("GET", endpoints(version).ping.path(), user)
        errors = slurm_errors(answer.body)
        if errors:
            raise SlurmrestRejectedError(describe_slurm_errors(answer.body), errors)
        controllers, responding = read_pings(version, answer.body)
        if controllers and not responding and version != "v0.0.38":
            # Slurm 24.11+ answers a refused token with 200 and responding false (25.11,
            # REST-25.11.md): an answer without a responding controller is a failure.
            raise SlurmrestAuthError(
                "slurmrestd reports no responding slurmctld (an authentication failure looks"
                " like this since Slurm 24.11: is hpcapi's JWT key the one in slurm.conf?)"
            )
        return {
            "api_version": version,
            "latency_ms": round(answer.elapsed_ms, 2),
            "controllers": controllers,
        }

    @property
    def sbatch_rules(self) -> SbatchRules:
        """What this cluster's sbatch adds to a job, for hpcapi.core.translate.describe_job."""
        return sbatch_rules(self.api_version)

    def submit_body(self, job: JobDescription) -> dict[str, Any]:
        """The body a submission of ``job`` sends to slurmrestd (what a dry run shows)."""
        return render_submit_body(self.api_version, job)

    def submit(self, user: Identity, job: JobDescription) -> int:
        """Submit a batch job as ``user``; return its id or raise SlurmrestRejectedError."""
        version = self.api_version
        path = endpoints(version).submit.path()
        answer = self._client.call("POST", path, user, body=render_submit_body(version, job))
        job_id = answer.body.get("job_id")
        # Success is a job id: a held job comes back with an informational error 2042.
        if isinstance(job_id, int) and not isinstance(job_id, bool) and job_id > 0:
            return job_id
        raise SlurmrestRejectedError(describe_slurm_errors(answer.body), slurm_errors(answer.body))

    def live_job(self, user: Identity, job_id: int, task: int | None = None) -> Job | None:
        """slurmctld's record of one job (or of array ``job_id``'s ``task``), or None if
        slurmctld does not hold it (any more)."""
        version = self.api_version
        # An array's job id gives every record of the array (its started tasks and the record
        # of the pending ones), as for squeue -j.
        body = self._job_answer(endpoints(version).live_job.path(job_id=job_id), user)
        jobs = [read_live_job(version, r) for r in _records(body)] if body else []
        return next((job for job in jobs if _is_wanted(job, job_id, task)), None)

    def accounting_job(self, user: Identity, job_id: int, task: int | None = None
                       ) -> Job | None:
        """slurmdbd's record of one job (or of array ``job_id``'s ``task``), or None if
        accounting does not know it."""
        version = self.api_version
        body = self._job_answer(endpoints(version).accounting_job.path(job_id=job_id), user)
        if body:
            self._check_accounting_errors(body)
        jobs = [read_accounting_job(version, r) for r in _records(body)] if body else []
        return next((job for job in jobs if _is_wanted(job, job_id, task)), None)

    def _job_answer(self, path: str, user: Identity) -> dict[str, Any] | None:
        """The answer about one job, or None when Slurm says there is no such job."""
        try:
            # Slurm 22.05 answers an unknown job with 500, 23.11+ with 404; both say 2017.
            return self._client.call("GET", path, user).body
        except SlurmrestRejectedError as exc:
            if _error_numbers(exc) & _NO_SUCH_JOB:
                return None
            raise

    def live_jobs(self, user: Identity) -> list[Job]:
        """The user's jobs that slurmctld holds: pending, running, recently finished."""
        version = self.api_version
        # No version has a user filter for live jobs (squeue filters client-side too); with
        # PrivateData=jobs slurmctld itself returns only the user's jobs.
        with self._list_slots:
            _, jobs = self._client.call_listing(
                endpoints(version).live_jobs.path(), user, "jobs",
                lambda record: read_live_job(version, record),
            )
        return [job for job in jobs if job.user == user.local_user and job.job_id > 0]

    def accounting_jobs(self, user: Identity, seconds: int,
                        job_name: str | None = None) -> list[Job]:
        """The user's jobs unfinished ``seconds`` seconds ago, from slurmdbd (``history_query``
        says which jobs that is).

        ``job_name`` (a ``filterable_job_name``) keeps only the jobs of that name."""
        version = self.api_version
        # The filter differs per version (see history_query); the user check below keeps any
        # other user's jobs out whatever slurmdbd returns.
        params = history_query(version, user.local_user, user.gid, seconds, time.time(),
                               job_name)
        path = endpoints(version).accounting_jobs.path()
        with self._list_slots:
            answer, jobs = self._client.call_listing(
                path, user, "jobs", lambda record: read_accounting_job(version, record),
                params=params,
            )
        self._check_accounting_errors(answer.body)
        return [job for job in jobs if job.user == user.local_user and job.job_id > 0]

    def with_exit_codes(self, user: Identity, jobs: list[Job]) -> list[Job]:
        """``jobs`` (accounting's) with the exit codes that only slurmctld knows filled in, on
        Slurm 22.05; on later releases accounting has them and ``jobs`` is returned as it is."""
        if self.api_version != "v0.0.38":
            return jobs
        # Slurm 22.05's slurmdbd records exit code 0 for every finished job (the reader reports
        # it unknown): slurmctld still has the right one until MinJobAge. Asked once per job
        # (a finished job never changes), for the jobs that ended lately only.
        now = time.time()
        asked = 0
        filled = []
        for job in jobs:
            if job.finished and job.exit_code is None and job.signal is None \
                    and (job.end_time or 0) >= now - _LIVE_EXIT_SECONDS:
                with self._lock:
                    known = self._live_exits.get(job.job_id)
                # At most so many asked per history: the others on the next polls.
                if known is None and asked < _LIVE_EXITS_PER_HISTORY:
                    asked += 1
                    known = self._exit_from_live(user, job)
                if known is not None:
                    job = dataclasses.replace(job, exit_code=known[0], signal=known[1])
            filled.append(job)
        return filled

    def _exit_from_live(self, user: Identity, job: Job) -> tuple[int | None, int | None] | None:
        """What slurmctld says of a finished job's exit, kept: it never changes, and a job
        slurmctld has forgotten stays unknown."""
        live = self.live_job(user, job.job_id)
        if live is not None and not live.finished:
            return None  # accounting is ahead of slurmctld for a moment: ask again later
        known = (None, None) if live is None or live.user != user.local_user \
            else (live.exit_code, live.signal)
        with self._lock:
            self._live_exits[job.job_id] = known
            while len(self._live_exits) > _LIVE_EXITS_KEPT:
                self._live_exits.popitem(last=False)
        return known

    def cancel(self, user: Identity, job_id: int) -> None:
        """Cancel one job as ``user``; raise JobGoneError or JobFinishedError when Slurm says so."""
        version = self.api_version
        path = endpoints(version).cancel.path(job_id=job_id)
        try:
            answer = self._client.call("DELETE", path, user)
        except SlurmrestRejectedError as exc:
            _raise_cancel_refusal(_error_numbers(exc), exc)
            raise
        # Slurm 24.05+ reports failures per job inside `status[]` with HTTP 200 and no errors.
        failures = [item.get("error") for item in answer.body.get("status") or []
                    if isinstance(item, dict) and isinstance(item.get("error"), dict)]
        numbers = {f.get("code") for f in failures if f and f.get("code")}
        if numbers:
            refusal = SlurmrestRejectedError(
                "; ".join(str(f.get("string") or f.get("message")) for f in failures if f),
                [{"error_number": n} for n in numbers],
            )
            _raise_cancel_refusal(numbers, refusal)
            raise refusal

    def partitions(self, user: Identity) -> list[Partition]:
        """Every partition slurmctld reports, as ``user`` sees them."""
        version = self.api_version
        answer = self._client.call("GET", endpoints(version).partitions.path(), user)
        records = [r for r in answer.body.get("partitions") or [] if isinstance(r, dict)]
        return [read_partition(version, record) for record in records]

    def nodes(self, user: Identity) -> list[Node]:
        """Every node slurmctld reports, as ``user`` sees them, as they are now."""
        version = self.api_version
        answer = self._client.call("GET", endpoints(version).nodes.path(), user)
        records = [r for r in answer.body.get("nodes") or [] if isinstance(r, dict)]
        nodes = [read_node(version, record) for record in records]
        self._nodes = (time.monotonic(), nodes)  # what largest_node_memory reads, renewed
        return nodes

    def largest_node_memory(self, user: Identity, partition: str) -> int | None:
        """The most memory (MB) any one node of ``partition`` has; None if unknown."""
        # Node sizes change rarely: ask at most every five minutes per worker.
        if self._nodes is None or time.monotonic() - self._nodes[0] > 300:
            self.nodes(user)
        assert self._nodes is not None  # noqa: S101 - nodes() has just set it
        sizes = [node.real_memory for node in self._nodes[1]
                 if partition in node.partitions and node.real_memory]
        return max(sizes) if sizes else None

    @staticmethod
    def _check_accounting_errors(body: dict[str, Any]) -> None:
        errors = slurm_errors(body)
        numbers = {e.get("error_number", e.get("error_code")) for e in errors}
        # Slurm 22.05 reports "Nothing found" as error 9003; 23.11+ as a warning.
        if errors and not numbers <= _NOTHING_FOUND:
            # slurmdbd answers 200 with errors (e.g. 1007 authentication) as well.
            raise SlurmrestRejectedError(describe_slurm_errors(body), errors)


def _raise_cancel_refusal(numbers: set[Any], exc: SlurmrestRejectedError) -> None:
    if numbers & _ALREADY_DONE:
        raise JobFinishedError(exc.message, exc.slurm_errors) from exc
    if numbers & (_NO_SUCH_JOB | _ACCESS_DENIED):
        raise JobGoneError(exc.message, exc.slurm_errors) from exc


def _is_wanted(job: Job, job_id: int, task: int | None) -> bool:
    """Whether ``job`` is job ``job_id`` itself (``task`` None), that array's ``task``, or the
    array's record of its pending tasks when ``task`` is one of them (as squeue -j 42_3)."""
    if task is None:
        return job.job_id == job_id
    if job.array_job_id != job_id:
        return False
    return job.array_task_id == task or (
        job.array_task_id is None and job.array_pending is not None
        and array_spec_holds(job.array_pending, task))


def _records(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in body.get("jobs") or [] if isinstance(r, dict)]


def _error_numbers(exc: SlurmrestRejectedError) -> set[Any]:
    return {e.get("error_number", e.get("error_code")) for e in exc.slurm_errors}
