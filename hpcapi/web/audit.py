"""One key=value audit line per request on logger ``hpcapi.audit``; never tokens or scripts.

Each line says what the request asked of slurmrestd (calls, answer bytes): what it cost Slurm.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from hpcapi.slurm.client import count_slurm_usage

audit_log = logging.getLogger("hpcapi.audit")


def _start_clock() -> None:
    g.started = time.perf_counter()
    g.slurm_usage = count_slurm_usage()


def _log_request(response: Response) -> Response:
    identity = g.get("identity")
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    usage = g.get("slurm_usage")
    audit_log.info(
        "principal=%s user=%s method=%s path=%s status=%d reason=%s ms=%.1f"
        " slurm_calls=%d slurm_bytes=%d",
        identity.principal if identity else "-",
        identity.local_user if identity else "-",
        request.method,
        request.path,
        response.status_code,
        g.get("failure_code") or g.get("audit_reason") or "-",
        elapsed_ms,
        usage.calls if usage else 0,
        usage.bytes if usage else 0,
    )
    return response


def register(app: Flask) -> None:
    """Install the audit hooks on the app."""
    app.before_request(_start_clock)
    app.after_request(_log_request)
