"""hpcapi's view of Slurm: the slurmrestd API version in use and the calls hpcapi makes.

The version is chosen once at start-up: ``auto`` takes the newest version the server offers that
hpcapi supports; a configured version the server does not offer stops start-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from hpcapi.core.jobs import Job, read_db_job_v0038, read_live_job_v0038
from hpcapi.slurm.client import (
    SlurmrestClient,
    SlurmUser,
    describe_slurm_errors,
    slurm_errors,
    versions_in_spec,
)
from hpcapi.slurm.errors import SlurmrestRejectedError, SlurmrestVersionError

log = logging.getLogger("hpcapi.slurm")

# Oldest first. Slurm 22.05 serves v0.0.36-v0.0.38; later releases drop older versions.
SUPPORTED_VERSIONS: tuple[str, ...] = ("v0.0.38",)

# Slurm error numbers that mean "no such job" rather than a failure.
_NO_SUCH_JOB = {2017}  # ESLURM_INVALID_JOB_ID
_NOTHING_FOUND = {9003}  # slurmdbd: "Nothing found with query"

RecordReader = Callable[[Mapping[str, Any]], Job]
_LIVE_READERS: dict[str, RecordReader] = {"v0.0.38": read_live_job_v0038}
_DB_READERS: dict[str, RecordReader] = {"v0.0.38": read_db_job_v0038}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


def choose_version(configured: str, offered: set[str]) -> str:
    """Pick the API version to use from what the server offers, or raise SlurmrestVersionError."""
    offered_text = ", ".join(sorted(offered, key=_version_key)) or "none"
    if configured == "auto":
        usable = [version for version in SUPPORTED_VERSIONS if version in offered]
        if not usable:
            raise SlurmrestVersionError(
                f"slurmrestd offers API versions {offered_text}; hpcapi supports "
                f"{', '.join(SUPPORTED_VERSIONS)}: none in common"
            )
        return max(usable, key=_version_key)
    if configured not in SUPPORTED_VERSIONS:
        raise SlurmrestVersionError(
            f"api_version = {configured} is not supported by hpcapi "
            f"(supported: {', '.join(SUPPORTED_VERSIONS)})"
        )
    if configured not in offered:
        raise SlurmrestVersionError(
            f"api_version = {configured} is not offered by slurmrestd, which offers {offered_text}"
        )
    return configured


class SlurmBackend:
    """The Slurm operations hpcapi performs, for one slurmrestd and one API version."""

    def __init__(self, client: SlurmrestClient, configured_version: str, probe_user: SlurmUser):
        self._client = client
        self._configured = configured_version
        self._probe_user = probe_user
        self._version: str | None = None
        self._lock = threading.Lock()

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
            ",".join(sorted(offered, key=_version_key)),
            self._version,
            self._configured,
        )
        return self._version

    @property
    def api_version(self) -> str:
        """The API version in use, detecting it first if start-up could not reach slurmrestd."""
        if self._version is None:
            return self.detect_version()
        return self._version

    def ping(self, user: SlurmUser) -> dict[str, Any]:
        """Ping slurmctld through slurmrestd as ``user``; return version and latency."""
        version = self.api_version
        answer = self._client.call("GET", f"/slurm/{version}/ping", user)
        errors = slurm_errors(answer.body)
        if errors:
            raise SlurmrestRejectedError(describe_slurm_errors(answer.body), errors)
        pings = answer.body.get("pings") or []
        controllers = [
            {"hostname": ping.get("hostname"), "status": ping.get("ping")}
            for ping in pings
            if isinstance(ping, dict)
        ]
        return {
            "api_version": version,
            "latency_ms": round(answer.elapsed_ms, 2),
            "controllers": controllers,
        }

    def submit(self, user: SlurmUser, body: dict[str, Any]) -> int:
        """Submit a batch job as ``user``; return its id or raise SlurmrestRejectedError."""
        version = self.api_version
        answer = self._client.call("POST", f"/slurm/{version}/job/submit", user, body=body)
        job_id = answer.body.get("job_id")
        # Success is a job id: a held job comes back with an informational error 2042.
        if isinstance(job_id, int) and not isinstance(job_id, bool) and job_id > 0:
            return job_id
        raise SlurmrestRejectedError(describe_slurm_errors(answer.body), slurm_errors(answer.body))

    def live_job(self, user: SlurmUser, job_id: int) -> Job | None:
        """slurmctld's record of one job, or None if slurmctld does not hold it (any more)."""
        version = self.api_version
        try:
            answer = self._client.call("GET", f"/slurm/{version}/job/{job_id}", user)
        except SlurmrestRejectedError as exc:
            if _error_numbers(exc) & _NO_SUCH_JOB:
                return None
            raise
        records = [r for r in answer.body.get("jobs") or [] if isinstance(r, dict)]
        reader = _LIVE_READERS[version]
        jobs = [reader(record) for record in records if record.get("job_id") == job_id]
        return jobs[0] if jobs else None

    def accounting_job(self, user: SlurmUser, job_id: int) -> Job | None:
        """slurmdbd's record of one job, or None if accounting does not know it."""
        version = self.api_version
        answer = self._client.call("GET", f"/slurmdb/{version}/job/{job_id}", user)
        records = self._db_records(answer.body)
        reader = _DB_READERS[version]
        jobs = [reader(record) for record in records if record.get("job_id") == job_id]
        return jobs[0] if jobs else None

    def live_jobs(self, user: SlurmUser) -> list[Job]:
        """The user's jobs that slurmctld holds: pending, running, recently finished."""
        version = self.api_version
        # v0.0.38 has no user filter for live jobs (squeue filters client-side too); with
        # PrivateData=jobs slurmctld itself returns only the user's jobs.
        answer = self._client.call("GET", f"/slurm/{version}/jobs", user)
        reader = _LIVE_READERS[version]
        records = [r for r in answer.body.get("jobs") or [] if isinstance(r, dict)]
        return [job for job in map(reader, records) if job.user == user.name]

    def accounting_jobs(self, user: SlurmUser, gid: int, hours: int) -> list[Job]:
        """The user's jobs submitted in the last ``hours`` hours, from slurmdbd."""
        version = self.api_version
        # submit_time (not start_time) also returns jobs that never became eligible. v0.0.38
        # has no user filter; filtering on the user's primary group (by gid: 22.05 matches
        # `groups` against numbers only) lets slurmdbd do the work where groups are per-user,
        # and the user check below keeps any other user's jobs out.
        params = {"submit_time": f"now-{hours}hours", "skip_steps": "true", "groups": str(gid)}
        answer = self._client.call("GET", f"/slurmdb/{version}/jobs", user, params=params)
        reader = _DB_READERS[version]
        jobs = map(reader, self._db_records(answer.body))
        return [job for job in jobs if job.user == user.name]

    @staticmethod
    def _db_records(body: dict[str, Any]) -> list[dict[str, Any]]:
        errors = slurm_errors(body)
        numbers = {e.get("error_number", e.get("error_code")) for e in errors}
        if errors and not numbers <= _NOTHING_FOUND:
            # slurmdbd answers 200 with errors (e.g. 1007 authentication) as well.
            raise SlurmrestRejectedError(describe_slurm_errors(body), errors)
        return [r for r in body.get("jobs") or [] if isinstance(r, dict)]


def _error_numbers(exc: SlurmrestRejectedError) -> set[Any]:
    return {e.get("error_number", e.get("error_code")) for e in exc.slurm_errors}
