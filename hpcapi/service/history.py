"""The caller's recent jobs (FRCE's query_status): accounting merged with slurmctld's view."""

from __future__ import annotations

import time

from hpcapi.core.jobs import merge_jobs
from hpcapi.model import Identity, Job
from hpcapi.service.context import Services


def recent_jobs(svc: Services, caller: Identity, hours: int) -> dict[int, Job]:
    """The caller's jobs submitted in the last ``hours`` hours, by job id."""
    accounting = svc.backend.accounting_jobs(caller, hours)
    # A job submitted a moment ago may not be in accounting yet: slurmctld's record wins.
    cutoff = time.time() - hours * 3600
    live = [job for job in svc.backend.live_jobs(caller) if (job.submit_time or 0) >= cutoff]
    return merge_jobs(accounting, live)
