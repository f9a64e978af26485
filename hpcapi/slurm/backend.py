"""hpcapi's view of Slurm: the slurmrestd API version in use and the calls hpcapi makes.

The version is chosen once at start-up: ``auto`` takes the newest version the server offers that
hpcapi supports; a configured version the server does not offer stops start-up.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

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
