"""The caller's recent jobs (FRCE's query_status): slurmdbd's accounting of the caller's jobs,
with slurmctld's record of the jobs this host submitted or cancelled for them lately.

Nothing here reads every job slurmctld holds: slurmrestd cannot filter those by user, so their
cost would grow with every other user's jobs. Accounting can (by user, or on 22.05 by group),
and it learns of each job and each change within seconds; the jobs this host wrote itself are
asked of slurmctld one by one until accounting shows them as they are now (read-your-writes).

A repeated poll reads only what may have changed: a finished job never changes, so the next
answer is the last one updated with accounting's jobs not finished, or ended since the last
question (a margin before it); the whole period is asked again every ``[history]
full_refresh`` seconds, and whenever a job the last answer held unfinished is not among those.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hpcapi.core.jobs import apply_changes, in_window, merge_jobs
from hpcapi.model import Identity, Job
from hpcapi.service.context import Services

# How long a job submitted or cancelled through this host is checked against slurmctld: far
# longer than accounting takes to catch up, unless slurmdbd was away.
READ_YOUR_WRITES_SECONDS = 600
# How far before the last question the next one reaches back: more than accounting takes to
# learn of a job's end (seconds), and than this host's clock and slurmctld's may differ.
ACCOUNTING_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class History:
    """One user's period as last asked: accounting's jobs, the base of the next poll, and the
    answer made of them."""

    accounting: dict[int, Job]
    answer: dict[int, Job]
    asked: float  # when accounting was last asked (this host's clock)
    asked_in_full: float  # when it was last asked for the whole period
    # Jobs written here lately that neither accounting nor slurmctld knows (slurmctld forgot
    # them while slurmdbd was away, or they were another cluster's): not asked again.
    gone: frozenset[int] = frozenset()
    # The entries of the answer this one was made from, until this one is rendered.
    earlier_entries: dict[int, tuple[Job, bytes]] = field(default_factory=dict, repr=False)
    _entries: dict[int, tuple[Job, bytes]] = field(default_factory=dict, repr=False)
    _rendered: list[bytes] = field(default_factory=list, compare=False, repr=False)

    def __len__(self) -> int:
        # What the worker's cap counts: the answer shares the accounting's jobs.
        return len(self.accounting)

    def rendered(self, entry: Callable[[Job], bytes],
                 frame: Callable[[list[bytes]], bytes]) -> bytes:
        """``frame`` of each job's ``entry`` by job id, made once: a kept answer may serve
        many polls, and rendering thousands of jobs costs more than the rest of such a
        request. A job unchanged since the answer this one was made from keeps its entry."""
        if not self._rendered:
            # Two threads may both render it at first: the same bytes, no lock needed.
            earlier = self.earlier_entries
            for job_id in sorted(self.answer):
                job = self.answer[job_id]
                kept = earlier.get(job_id)
                self._entries[job_id] = kept if kept and kept[0] is job else (job, entry(job))
            self._rendered.append(frame([made for _, made in self._entries.values()]))
            earlier.clear()  # no chain of answers kept alive through their entries
        return self._rendered[0]


def recent_jobs(svc: Services, caller: Identity, hours: int) -> dict[int, Job]:
    """The caller's jobs of the last ``hours`` hours (not ended before), by job id."""
    return recent_history(svc, caller, hours).answer


def recent_history(svc: Services, caller: Identity, hours: int) -> History:
    """The caller's jobs of the last ``hours`` hours as a ``History``, which may be shared."""
    # Polls shortly after each other, and identical ones at once, share one answer; never one
    # begun before this user's last write through this host.
    not_before = svc.journal.last_write(caller.local_user)
    return svc.histories.get((caller.local_user, hours),
                             lambda base: _ask_slurm(svc, caller, hours, base),
                             not_before=not_before)


def _ask_slurm(svc: Services, caller: Identity, hours: int, base: History | None) -> History:
    now = time.time()
    period = hours * 3600
    accounting = None
    asked_in_full = now
    if base is not None and now - base.asked_in_full < svc.config.history_full_refresh:
        seconds = int(now - base.asked) + 1 + ACCOUNTING_MARGIN_SECONDS
        if seconds < period:
            changed = svc.backend.accounting_jobs(caller, seconds)
            accounting = apply_changes(base.accounting, changed)
            asked_in_full = base.asked_in_full
    if accounting is None:
        accounting = {job.job_id: job for job in svc.backend.accounting_jobs(caller, period)}
        asked_in_full = now
    kept = [job for job in accounting.values() if in_window(job, now - period)]
    accounting = {job.job_id: job for job in svc.backend.with_exit_codes(caller, kept)}
    known_gone = base.gone if base is not None else frozenset()
    live, gone = _own_writes(svc, caller, accounting, now - period, known_gone)
    answer = merge_jobs(accounting.values(), live)
    earlier = dict(base._entries) if base is not None else {}
    return History(accounting, answer, asked=now, asked_in_full=asked_in_full, gone=gone,
                   earlier_entries=earlier)


def _own_writes(svc: Services, caller: Identity, accounting: dict[int, Job], cutoff: float,
                known_gone: frozenset[int]) -> tuple[list[Job], frozenset[int]]:
    """slurmctld's record of the jobs this host wrote lately that accounting does not show as
    they are now (submitted here but not in accounting yet, cancelled here but not finished),
    and those of them slurmctld does not know either."""
    submitted, cancelled = svc.journal.recent(caller.local_user, READ_YOUR_WRITES_SECONDS)
    behind = {job_id for job_id in submitted if job_id not in accounting}
    behind |= {job_id for job_id in cancelled
               if job_id not in accounting or not accounting[job_id].finished}
    live = []
    gone = set(known_gone & behind)
    for job_id in sorted(behind - gone):
        job = svc.backend.live_job(caller, job_id)
        if job is None:
            gone.add(job_id)
        elif job.user == caller.local_user and (job.submit_time or 0) >= cutoff:
            live.append(job)
    return live, frozenset(gone)
