"""The one place where a slurmrestd failure becomes a named hpcapi error code."""

from __future__ import annotations

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.slurm.errors import (
    SlurmrestError,
    SlurmrestRejectedError,
    SlurmrestTimeoutError,
    SlurmrestUnavailableError,
)


def slurm_failure(
    exc: SlurmrestError, refused: ErrorCode = ErrorCode.BACKEND_QUERY_FAILED
) -> HpcapiError:
    """The hpcapi error for a slurmrestd failure; ``refused`` is the code for Slurm saying no.

    Only Slurm's answer to a submission itself is a final refusal (422): a failed look-up is
    an outage, answered 502/503/504 so that clients retry."""
    if isinstance(exc, SlurmrestUnavailableError):
        code = ErrorCode.BACKEND_UNAVAILABLE
    elif isinstance(exc, SlurmrestTimeoutError):
        code = ErrorCode.BACKEND_TIMEOUT
    elif isinstance(exc, SlurmrestRejectedError):
        code = refused
    else:
        code = ErrorCode.BACKEND_QUERY_FAILED
    error = HpcapiError(code, exc.message)
    error.__cause__ = exc  # the log shows what slurmrestd said, and the transport error behind it
    return error
