"""The path Slurm writes a batch job's output to, from the pattern in the job's record.

``expand_stdio_path`` expands a StdOut/StdErr/StdIn pattern as slurmstepd does for the batch
step (expand_stdio_fields() in src/common/print_fields.c, called by fname_create() in
src/slurmd/common/fname.c, Slurm 25.11.7): the job output reader needs the file the job
really writes, and Slurm 22.05's API gives only the pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

# slurm.h: a uint32 that is not set; slurmstepd prints it for %a of a job that is no array.
NO_VAL = 0xFFFFFFFE
# "The maximum padding is 10" (expand_stdio_fields()).
MAX_PADDING = 10


@dataclass(frozen=True)
class StdioJob:
    """What a batch step's pattern can name: the job's record and the node it runs on."""

    job_id: int
    job_name: str
    user: str
    work_dir: str
    first_node: str  # %N: the batch host's short name
    array_job_id: int = 0  # 0: not an array job
    array_task_id: int = NO_VAL
    restart_count: int = 0
    sluid: str | None = None  # %S, Slurm 25.05 and later; None: not a wildcard there


# Each wildcard of a batch step, and whether it is a number (padding applies to numbers).
_NUMERIC = frozenset("AaJjbrnst")


def _value(letter: str, job: StdioJob) -> str | None:
    """The text of wildcard ``letter`` for ``job``'s batch step; None: not a wildcard."""
    values: dict[str, int | str | None] = {
        "A": job.array_job_id or job.job_id,
        "a": job.array_task_id,
        "b": job.array_task_id % 10,
        "J": job.job_id,  # the batch step adds no ".step"
        "j": job.job_id,
        "r": job.restart_count,
        "S": job.sluid,
        "s": "batch",
        "x": job.job_name,
        "N": job.first_node,
        "n": 0,  # the batch step runs on the job's first node, as task 0
        "t": 0,
        "u": job.user,
    }
    value = values.get(letter)
    return None if value is None else str(value)


def expand_stdio_path(pattern: str, job: StdioJob) -> str:
    """``pattern`` with Slurm's %-wildcards expanded, relative to the job's working directory."""
    prefix = ""
    if not pattern.startswith("/"):
        prefix = job.work_dir if job.work_dir.endswith("/") else f"{job.work_dir}/"
    if "\\" in pattern:
        # A backslash anywhere: nothing is expanded, the backslashes are dropped.
        return prefix + pattern.replace("\\", "")
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char != "%":
            out.append(char)
            i += 1
            continue
        if i + 1 == len(pattern):
            break  # a "%" that ends the pattern is dropped
        if pattern[i + 1] == "%":
            out.append("%")
            i += 2
            continue
        j = i + 1
        while j < len(pattern) and pattern[j].isdigit():
            j += 1
        digits = pattern[i + 1 : j]
        letter = pattern[j] if j < len(pattern) else ""
        value = _value(letter, job) if letter else None
        if value is None:
            out.append(pattern[i : j + 1])  # not a wildcard: kept with its "%"
        elif digits and letter in _NUMERIC and value.isdigit():
            out.append(value.zfill(min(int(digits), MAX_PADDING)))
        else:
            out.append(value)
        i = j + 1
    return prefix + "".join(out)
