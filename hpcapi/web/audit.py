"""One key=value audit line per request on logger ``hpcapi.audit``; never tokens or scripts.

Each line says what the request asked of slurmrestd (calls, answer bytes): what it cost Slurm;
its request id (also in the answer's X-Request-ID) and the client's address as Apache saw it,
so that it can be matched with Apache's log.
"""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, Response, g, request

from hpcapi.protocol import REQUEST_ID_HEADER, REQUEST_ID_RE
from hpcapi.slurm.client import count_slurm_usage

audit_log = logging.getLogger("hpcapi.audit")

# Set by Apache from the connection's address (apache/hpcapi.conf), after removing any copy the
# client sent; never X-Forwarded-For, whose first entries are the client's to write.
CLIENT_ADDRESS_HEADER = "X-Hpcapi-Client-Address"


def request_id() -> str | None:
    """The current request's id, once the request has begun."""
    value: str | None = g.get("request_id")
    return value


def _start_request() -> None:
    g.started = time.perf_counter()
    g.slurm_usage = count_slurm_usage()
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex


def _log_request(response: Response) -> Response:
    identity = g.get("identity")
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    usage = g.get("slurm_usage")
    audit_log.info(
        "principal=%s user=%s method=%s path=%s status=%d reason=%s ms=%.1f"
        " slurm_calls=%d slurm_bytes=%d request_id=%s client=%s",
        identity.principal if identity else "-",
        identity.local_user if identity else "-",
        request.method,
        request.path,
        response.status_code,
        g.get("failure_code") or g.get("audit_reason") or "-",
        elapsed_ms,
        usage.calls if usage else 0,
        usage.bytes if usage else 0,
        g.get("request_id", "-"),
        _client_address(),
    )
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    return response


def _client_address() -> str:
    # Only an address: the header is Apache's, but a space would still split the audit line.
    given = request.headers.get(CLIENT_ADDRESS_HEADER, "")
    return given if given and all(c in _ADDRESS_CHARACTERS for c in given) else "-"


_ADDRESS_CHARACTERS = frozenset("0123456789abcdefABCDEF.:")


def register(app: Flask) -> None:
    """Install the audit hooks on the app."""
    app.before_request(_start_request)
    app.after_request(_log_request)
