"""The caller's recent jobs (FRCE's query_status): slurmdbd's accounting of the caller's jobs,
with slurmctld's record of the jobs this host submitted or cancelled for them lately.

Nothing here reads every job slurmctld holds: slurmrestd cannot filter those by user, so their
cost would grow with every other user's jobs. Accounting can (by user, or on 22.05 by group),
and it learns of each job and each change within seconds; the jobs this host wrote itself are
asked of slurmctld one by one until accounting shows them as they are now (read-your-writes).
"""

from __future__ import annotations

import time

from hpcapi.core.jobs import merge_jobs
from hpcapi.model import Identity, Job
from hpcapi.service.context import Services

# How long a job submitted or cancelled through this host is checked against slurmctld: far
# longer than accounting takes to catch up, unless slurmdbd was away.
READ_YOUR_WRITES_SECONDS = 600


def recent_jobs(svc: Services, caller: Identity, hours: int) -> dict[int, Job]:
    """The caller's jobs submitted in the last ``hours`` hours, by job id."""
    # Polls shortly after each other, and identical ones at once, share one answer; never one
    # begun before this user's last write through this host.
    not_before = svc.journal.last_write(caller.local_user)
    return svc.histories.get((caller.local_user, hours), lambda: _ask_slurm(svc, caller, hours),
                             not_before=not_before)


def _ask_slurm(svc: Services, caller: Identity, hours: int) -> dict[int, Job]:
    accounting = {job.job_id: job for job in svc.backend.history_jobs(caller, hours)}
    submitted, cancelled = svc.journal.recent(caller.local_user, READ_YOUR_WRITES_SECONDS)
    # Submitted here but not in accounting yet; cancelled here but not shown finished yet.
    behind = {job_id for job_id in submitted if job_id not in accounting}
    behind |= {job_id for job_id in cancelled
               if job_id not in accounting or not accounting[job_id].finished}
    cutoff = time.time() - hours * 3600
    live = []
    for job_id in sorted(behind):
        job = svc.backend.live_job(caller, job_id)
        if job is not None and job.user == caller.local_user and (job.submit_time or 0) >= cutoff:
            live.append(job)
    # slurmctld's record wins: it is the fresher.
    return merge_jobs(accounting.values(), live)
