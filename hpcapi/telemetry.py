"""What hpcapi's layers report for its metrics, without depending on a metrics library.

The web layer installs a sink at start-up (hpcapi.web.metrics, Prometheus); until one is
installed, and in the client, nothing is recorded.
"""

from __future__ import annotations

from typing import Protocol

# prometheus_client's multiprocess directory, read once when it is imported: hpcapi-server sets
# it before any worker imports hpcapi.web.metrics.
MULTIPROCESS_DIRECTORY_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Sink(Protocol):
    """Where the reports go."""

    def slurm_call(self, operation: str, outcome: str, seconds: float) -> None:
        """One call to slurmrestd: ``GET /slurm/job/{id}``, ``ok`` (or why not), its time."""

    def token_minted(self) -> None:
        """One JWT minted (a reused one is not counted)."""

    def cache_lookup(self, cache: str, result: str) -> None:
        """One look-up in a kept-answer cache: ``hit``, ``shared`` (joined one being made) or
        ``miss``."""


_sink: Sink | None = None


def install(sink: Sink) -> None:
    """Send every later report to ``sink``."""
    global _sink
    _sink = sink


def slurm_call(operation: str, outcome: str, seconds: float) -> None:
    """Report one call to slurmrestd."""
    if _sink is not None:
        _sink.slurm_call(operation, outcome, seconds)


def token_minted() -> None:
    """Report one JWT minted."""
    if _sink is not None:
        _sink.token_minted()


def cache_lookup(cache: str, result: str) -> None:
    """Report one look-up in a kept-answer cache."""
    if _sink is not None:
        _sink.cache_lookup(cache, result)
