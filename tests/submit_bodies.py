"""Test helper: a validated request as the body slurmrestd receives (describe, then encode)."""

from __future__ import annotations

import time
from typing import Any

from hpcapi.core.submit import SubmitRequest
from hpcapi.core.translate import describe_job
from hpcapi.model import Identity
from hpcapi.slurm.submit_body import render_submit_body
from hpcapi.slurm.versions import sbatch_rules


def owner(user: str, uid: int, home: str, shell: str) -> Identity:
    """The caller a job runs as (a principal of user@HPCAPI.TEST, group = uid)."""
    return Identity(f"{user}@HPCAPI.TEST", user, uid, uid, home, shell)


def build_submit_body(
    req: SubmitRequest, caller: Identity, working_directory: str, path: str, lang: str,
    api_version: str = "v0.0.38", *, comment: str | None = None, now: float | None = None,
) -> dict[str, Any]:
    """The body hpcapi sends to ``POST /slurm/<api_version>/job/submit`` for ``req``."""
    job = describe_job(req, caller, working_directory, path, lang, comment=comment,
                       now=time.time() if now is None else now,
                       rules=sbatch_rules(api_version))
    return render_submit_body(api_version, job)
