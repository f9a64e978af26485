"""Tests for naming slurmrestd failures (hpcapi/service/failures.py): which code and HTTP status
each failure class gets, and that the error keeps the failure as its cause."""

from __future__ import annotations

import pytest

from hpcapi.errors import ErrorCode
from hpcapi.service.failures import slurm_failure
from hpcapi.slurm.errors import (
    JobFinishedError,
    JobGoneError,
    SlurmrestAuthError,
    SlurmrestError,
    SlurmrestProtocolError,
    SlurmrestRejectedError,
    SlurmrestTimeoutError,
    SlurmrestUnavailableError,
    SlurmrestVersionError,
)

SUBMISSION = ErrorCode.BACKEND_QUERY_JOB_SUBMISSION_FAILED

CASES = [
    (SlurmrestUnavailableError, ErrorCode.BACKEND_UNAVAILABLE, 503),
    (SlurmrestTimeoutError, ErrorCode.BACKEND_TIMEOUT, 504),
    (SlurmrestRejectedError, ErrorCode.BACKEND_QUERY_FAILED, 502),
    (JobGoneError, ErrorCode.BACKEND_QUERY_FAILED, 502),
    (JobFinishedError, ErrorCode.BACKEND_QUERY_FAILED, 502),
    (SlurmrestAuthError, ErrorCode.BACKEND_QUERY_FAILED, 502),
    (SlurmrestProtocolError, ErrorCode.BACKEND_QUERY_FAILED, 502),
    (SlurmrestVersionError, ErrorCode.BACKEND_QUERY_FAILED, 502),
    (SlurmrestError, ErrorCode.BACKEND_QUERY_FAILED, 502),
]


@pytest.mark.parametrize(("cls", "code", "status"), CASES)
def test_each_failure_class_has_its_code(cls: type[SlurmrestError], code: ErrorCode,
                                         status: int) -> None:
    exc = cls("slurmrestd said something", [{"error_number": 1}])
    error = slurm_failure(exc)
    assert error.code is code
    assert error.code.http_status == status
    assert error.message == "slurmrestd said something"
    assert error.__cause__ is exc
    assert error.to_body() == {"status": "call_failure", "reason": code.code,
                               "message": "slurmrestd said something"}


@pytest.mark.parametrize(("cls", "code"), [
    (SlurmrestRejectedError, SUBMISSION),
    (JobGoneError, SUBMISSION),
    (JobFinishedError, SUBMISSION),
    # Only Slurm saying no is a refusal: an outage or a broken answer stays retryable.
    (SlurmrestUnavailableError, ErrorCode.BACKEND_UNAVAILABLE),
    (SlurmrestTimeoutError, ErrorCode.BACKEND_TIMEOUT),
    (SlurmrestAuthError, ErrorCode.BACKEND_QUERY_FAILED),
    (SlurmrestProtocolError, ErrorCode.BACKEND_QUERY_FAILED),
])
def test_refused_names_only_slurms_refusals(cls: type[SlurmrestError], code: ErrorCode) -> None:
    assert slurm_failure(cls("no"), refused=SUBMISSION).code is code


def test_the_cause_chain_is_kept() -> None:
    transport = ConnectionError("reset by peer")
    try:
        raise SlurmrestUnavailableError("cannot reach slurmrestd") from transport
    except SlurmrestUnavailableError as exc:
        error = slurm_failure(exc)
    assert error.__cause__ is not None
    assert error.__cause__.__cause__ is transport


def test_it_returns_the_error_rather_than_raising_it() -> None:
    error = slurm_failure(SlurmrestTimeoutError("slow"))
    assert isinstance(error, Exception)
    assert str(error) == "backend_timeout: slow"
