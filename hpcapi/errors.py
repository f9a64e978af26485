"""The one catalogue of hpcapi's named error codes and the HTTP status each one maps to.

Every failure that reaches a caller is an ``HpcapiError`` carrying one of these codes; the web
layer renders all of them in a single handler as
``{"status": "call_failure", "reason": "<code>", "message": "<for people>"}``.
The code names of NIH FRCE's hpcapi keep their meaning; the others follow the same naming.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class ErrorCode(Enum):
    """A named error code; the value is ``(http_status, summary)``."""

    # --- request shape (FRCE) ---
    POSTDATA_PARSE_ERROR = (400, "the request body is not a JSON object")
    POSTDATA_TOO_BIG = (413, "the request body is larger than the limit")
    WRONG_CONTENT_TYPE = (415, "the request body must be sent as application/json")
    UNKNOWN_PARAMETER = (400, "the request names a field hpcapi does not know")
    # --- submit fields (FRCE and beyond) ---
    NO_SCRIPT_GIVEN = (400, "no script-body was given")
    BAD_SCRIPT = (400, "the script-body is not a usable batch script")
    NO_PARTITION_GIVEN = (400, "no partition was given")
    BAD_PARTITION = (400, "the partition is unknown or not allowed through this API")
    BAD_NUMBER_OF_TASKS = (400, "a task count is not a valid positive number")
    BAD_CPUS_PER_TASK = (400, "cpus-per-task is not a valid positive number")
    CONFLICTING_MEM_SPECIFICATIONS = (400, "mem-per-cpu and mem-per-node are mutually exclusive")
    BAD_MEMORY_SPEC = (400, "a memory size is not in Slurm's memory syntax")
    BAD_TIMELIMIT = (400, "the time limit is not in a format Slurm accepts")
    BAD_DEPENDENCY = (400, "the dependency is malformed or names a job that is not yours")
    BAD_PARAMETER = (400, "a field has a value hpcapi cannot accept")
    REQUIRED_FIELD_MISSING = (400, "this site requires a field the request does not give")
    BAD_IDEMPOTENCY_KEY = (400, "the Idempotency-Key header is not 1-128 of A-Z a-z 0-9 . _ : -")
    IDEMPOTENCY_KEY_REUSED = (409, "this Idempotency-Key was used for a different request")
    # --- identity ---
    UNAUTHENTICATED = (401, "no authenticated Kerberos principal reached hpcapi")
    PRINCIPAL_NOT_ALLOWED = (403, "this Kerberos principal may not use hpcapi")
    # --- routing ---
    NOT_FOUND = (404, "no such endpoint")
    METHOD_NOT_ALLOWED = (405, "this endpoint does not accept that HTTP method")
    # --- jobs ---
    JOB_NOT_FOUND = (404, "no such job among yours")
    JOB_ALREADY_FINISHED = (409, "the job has already finished")
    OUTPUT_NOT_AVAILABLE = (409, "the job's output is not there (yet) for this host to read")
    # --- fairness ---
    TOO_MANY_REQUESTS = (429, "too many of your requests are in progress; retry after a moment")
    # --- backend ---
    BACKEND_QUERY_JOB_SUBMISSION_FAILED = (422, "Slurm refused or failed to accept the job")
    BACKEND_QUERY_FAILED = (502, "Slurm failed to answer the query")
    BACKEND_UNAVAILABLE = (503, "slurmrestd cannot be reached")
    BACKEND_TIMEOUT = (504, "slurmrestd did not answer in time")
    INTERNAL_ERROR = (500, "an unexpected error inside hpcapi")
    # answered by Apache (apache/hpcapi.conf) when gunicorn cannot be reached
    SERVICE_UNAVAILABLE = (503, "hpcapi is not running behind the web server")
    # answered by Apache to a request it refuses before authentication (a malformed cookie)
    REQUEST_REFUSED = (403, "the web server refused this request")
    # answered by Apache (and by hpcapi, where Werkzeug refuses the same) to an HTTP request it
    # cannot take
    BAD_REQUEST = (400, "the web server could not read this HTTP request")
    REQUEST_TIMEOUT = (408, "the request did not arrive in time")
    URI_TOO_LONG = (414, "the request's URL is longer than the web server accepts")
    HEADERS_TOO_LARGE = (431, "the request's headers are larger than the web server accepts")

    @property
    def http_status(self) -> int:
        """The HTTP status this code is answered with."""
        return int(self.value[0])

    @property
    def summary(self) -> str:
        """A one-line description of the condition, for people."""
        return str(self.value[1])

    @property
    def code(self) -> str:
        """The wire name of the code, as it appears in ``reason``."""
        return self.name.lower()


class HpcapiError(Exception):
    """A failure with a named code, answered to the caller as a ``call_failure`` body."""

    def __init__(self, code: ErrorCode, message: str | None = None, **extra: Any) -> None:
        self.code = code
        self.message = message or code.summary
        self.extra = extra
        super().__init__(f"{code.code}: {self.message}")

    def to_body(self) -> dict[str, Any]:
        """The JSON body answered for this error."""
        body: dict[str, Any] = {
            "status": "call_failure",
            "reason": self.code.code,
            "message": self.message,
        }
        body.update(self.extra)
        return body
