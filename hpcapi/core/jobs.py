"""How hpcapi shows a job: the merge of its two sources, its output paths, its two renderings.

slurmctld's live record and slurmdbd's accounting record describe the same job differently;
``hpcapi.slurm.records`` reads both, for every API version, into ``Job`` so that history can
merge them (the live record wins: accounting lags by seconds, and Slurm 22.05's accounting
reports exit code 0 for every normal exit). A job is rendered two ways: FRCE's query_status
entry (``frce_job_entry``) and hpcapi's job detail (``job_detail``), their times in the site's
``[history] time_format`` (``format_time``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from hpcapi.model import Job

# Slurm's NO_VAL: what %a prints for a job that is not part of an array.
NO_ARRAY_TASK = 0xFFFFFFFE
_PATTERN = re.compile(r"%(?P<width>[0-9]*)(?P<kind>.)", re.DOTALL)
_MAX_WIDTH = 10


class TimeFormat(StrEnum):
    """How answers show a job's times: ``[history] time_format``."""

    # As FRCE's documentation shows its answers (sacct's form): the server's local time, no zone.
    FRCE = "frce"
    # ISO 8601 in UTC, with its "Z".
    UTC = "utc"


def first_node(nodes: str) -> str | None:
    """The first host of a Slurm node list: "cn[03-04,07],gpu1" gives "cn03"."""
    name = ""
    depth = 0
    for char in nodes:
        if char == "," and depth == 0:
            break
        depth += (char == "[") - (char == "]")
        name += char
    # Expand only the first value of each bracketed range list.
    host = re.sub(r"\[([^\]\-,]*)[^\]]*\]", r"\1", name)
    return host.strip() or None


def expand_output_path(pattern: str, job: Job) -> str:
    """The file name Slurm makes of an output pattern for the batch step of ``job``."""
    # fname_create() / _batch_path_check() in src/slurmd/common/fname.c (22.05-24.05): a
    # relative name is anchored in the job's working directory (with a "/", as 25.11's
    # expand_stdio_fields() does; 22.05 forgets it for escaped names); a backslash anywhere
    # turns expansion off and is removed (remove_path_slashes(), "\\" keeps one); "%%" is "%";
    # "%<width><c>" zero-pads numbers to at most 10 digits; unknown "%c" stays as it is
    # (%b, %r, %S arrive in 25.x and are left unexpanded here).
    path = pattern
    if not path.startswith("/") and job.working_directory:
        path = job.working_directory.rstrip("/") + "/" + path
    if "\\" in pattern:
        return re.sub(r"\\(.?)", r"\1", path, flags=re.DOTALL)

    array_task = job.array_task_id if job.array_task_id is not None else NO_ARRAY_TASK
    numbers = {
        "j": job.job_id,
        "J": job.job_id,  # jobid.stepid, and the batch step shows as the job id alone
        "A": job.array_job_id if array_task != NO_ARRAY_TASK and job.array_job_id else job.job_id,
        "a": array_task,
        "n": 0,  # node id within the job: the batch script runs on the first node
        "t": 0,  # task id: the batch script is task 0
    }
    texts = {"u": job.user, "x": job.name, "s": "batch"}
    node = first_node(job.nodes) if job.nodes else None
    if node is not None:
        texts["N"] = node

    def expand(match: re.Match[str]) -> str:
        kind, width = match["kind"], match["width"]
        if kind == "%" and not width:
            return "%"
        if kind in numbers:
            digits = min(int(width), _MAX_WIDTH) if width else 0
            return f"{numbers[kind]:0{digits}d}"
        if kind in texts:
            return texts[kind]
        return match.group(0)

    return _PATTERN.sub(expand, path)


def in_window(job: Job, since: float) -> bool:
    """Whether accounting's window from ``since`` holds ``job``: not ended, or ended since."""
    # A running job's end_time is its expected end, which says nothing of the window.
    return not job.finished or job.end_time is None or job.end_time >= since


def apply_changes(base: Mapping[int, Job], changed: Iterable[Job]) -> dict[int, Job] | None:
    """``base`` (accounting's jobs of a window) updated with ``changed``: accounting's jobs not
    ended, or ended since the moment ``base`` was asked minus a margin.

    None when ``base`` cannot be brought up to date that way: a job it holds unfinished is not
    among ``changed``, so it ended before that moment and accounting learnt of it late (or it
    is gone); only the whole window tells what else accounting learnt late."""
    fresh = {job.job_id: job for job in changed}
    if any(not job.finished and job_id not in fresh for job_id, job in base.items()):
        return None
    # An unchanged job keeps its object, so that what was made of it (its rendering) serves.
    fresh = {job_id: base[job_id] if base.get(job_id) == job else job
             for job_id, job in fresh.items()}
    return {**base, **fresh}


def merge_jobs(accounting: Iterable[Job], live: Iterable[Job]) -> dict[int, Job]:
    """Merge both views by job id; the live record wins where both know a job."""
    merged = {job.job_id: job for job in accounting}
    merged.update((job.job_id, job) for job in live)
    return merged


def format_time(epoch: int | None, time_format: TimeFormat) -> str | None:
    """An epoch time as answers show it (every job time of every answer), or None."""
    if epoch is None:
        return None
    if time_format is TimeFormat.UTC:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # The zone of the server's process (TZ, else /etc/localtime), as sacct prints it and FRCE's
    # documentation shows it: "2025-01-27T15:24:32", which strptime("%Y-%m-%dT%H:%M:%S") reads.
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%dT%H:%M:%S")


def frce_job_entry(job: Job, time_format: TimeFormat) -> dict[str, Any]:
    """A job in FRCE's query_status shape, with hpcapi's extra keys after FRCE's six."""
    return {
        "user": job.user,
        "name": job.name,
        "partition": job.partition,
        "start": format_time(job.start_time, time_format),
        "end": format_time(job.end_time, time_format),
        "state": job.state,
        "submit": format_time(job.submit_time, time_format),
        "exit_code": job.exit_code,
        "reason": job.reason,
    }


def job_detail(job: Job, time_format: TimeFormat) -> dict[str, Any]:
    """A job as GET /hpcapi/job/<id> shows it."""
    # Slurm's own expansion where the record gives it (its file, whatever the pattern held);
    # else hpcapi expands the pattern as slurmstepd does.
    output = job.output_path or (expand_output_path(job.output, job) if job.output else None)
    error = job.error_path or (expand_output_path(job.error, job) if job.error else output)
    return {
        "job_id": str(job.job_id),
        "user": job.user,
        "name": job.name,
        "partition": job.partition,
        "state": job.state,
        "reason": job.reason,
        "submit": format_time(job.submit_time, time_format),
        "start": format_time(job.start_time, time_format),
        "end": format_time(job.end_time, time_format),
        "time_limit": job.time_limit,
        "exit_code": job.exit_code,
        "signal": job.signal,
        "nodes": job.nodes,
        "output": output,
        "error": error,
        "working_directory": job.working_directory,
    }
