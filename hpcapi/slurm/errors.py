"""The ways a call to slurmrestd can fail, one exception class per failure class.

Slurm 22.05's slurmrestd answers most refusals with HTTP 500 and an ``errors`` list, and some
authentication failures with 200 on ``/slurmdb``; so callers classify by these classes, which the
client derives from status, content type and ``errors[]``, in that order (as Slurm-web does).
"""

from __future__ import annotations

from typing import Any


class SlurmrestError(Exception):
    """Base class: slurmrestd did not give the answer asked for."""

    def __init__(self, message: str, slurm_errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.slurm_errors = slurm_errors or []


class SlurmrestUnavailableError(SlurmrestError):
    """slurmrestd cannot be reached (connection refused, reset, or a proxy's 502/503)."""


class SlurmrestTimeoutError(SlurmrestError):
    """slurmrestd accepted the connection but did not answer within the timeout."""


class SlurmrestAuthError(SlurmrestError):
    """slurmrestd refused hpcapi's token: the signing key or the user set-up is wrong."""


class SlurmrestRejectedError(SlurmrestError):
    """Slurm understood the request and refused it; its own messages are in slurm_errors."""


class SlurmrestProtocolError(SlurmrestError):
    """slurmrestd answered something hpcapi cannot read (not JSON, unexpected shape)."""


class SlurmrestVersionError(SlurmrestError):
    """The configured API version is not offered by this slurmrestd."""


class JobGoneError(SlurmrestRejectedError):
    """Slurm does not know the job, or it is not the caller's to act on."""


class JobFinishedError(SlurmrestRejectedError):
    """The job has already finished (or is completing)."""
