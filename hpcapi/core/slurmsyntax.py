"""Parsers for Slurm's own value syntaxes: time limits, memory sizes and job dependencies.

Each parser accepts what the matching Slurm 22.05 parser accepts (minus "unlimited" and the
undocumented corners noted below), returns a normalized value, and raises ``HpcapiError``
with the field's code for anything else. Only ASCII digits count: Python's ``int()`` and
``\\d`` also accept other scripts' digits, "+4", " 4" and "4_0", which Slurm does not.
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass

from hpcapi.errors import ErrorCode, HpcapiError

MAX_TIME_LIMIT_MINUTES = 365 * 24 * 60
# 1 PiB: far above any node, far below the 64-bit field whose top bit Slurm uses as a flag.
MAX_MEMORY_MB = 1024 * 1024 * 1024
# Job ids are uint32; 0xfffffffe (NO_VAL) and 0xffffffff (INFINITE) are Slurm's markers.
MAX_JOB_ID = 0xFFFFFFFD
MAX_DEPENDENCY_LENGTH = 4096

# Long enough for any sane value, short enough that int() never sees a huge digit string.
_DIGITS = "[0-9]{1,12}"

# The documented forms of time_str2secs() (src/common/parse_time.c): minutes, minutes:seconds,
# hours:minutes:seconds, days-hours, days-hours:minutes, days-hours:minutes:seconds.
# Slurm's looser validator also lets "1-" or "-5" through; those are not documented and refused.
_TIME = re.compile(
    rf"(?P<days>{_DIGITS})-(?P<dh>{_DIGITS})(?::(?P<dm>{_DIGITS})(?::(?P<ds>{_DIGITS}))?)?"
    rf"|(?P<a>{_DIGITS})(?::(?P<b>{_DIGITS})(?::(?P<c>{_DIGITS}))?)?"
)
_UNLIMITED = frozenset({"-1", "infinite", "unlimited"})

# str_to_mbytes() (src/common/proc_args.c): a number, then optionally K/M/G/T in either case,
# optionally followed by B ("1GB"). A bare "B" suffix is refused there too.
_MEMORY = re.compile(rf"(?P<number>{_DIGITS})(?:(?P<unit>[KkMmGgTt])[Bb]?)?")
_MEMORY_FACTOR_KB = {"k": 1, "m": 1024, "g": 1024 * 1024, "t": 1024 * 1024 * 1024}

# Dependency types of sbatch --dependency in 22.05 (update_job_dependency() in
# src/slurmctld/job_scheduler.c). "expand" is left out: it needs permit_job_expansion and
# grows a running job, which this API does not offer.
DEPENDENCY_TYPES = frozenset(
    {"after", "afterany", "afternotok", "afterok", "aftercorr", "afterburstbuffer"}
)
# A job id, optionally an array element "123_4" or every element "123_*", and for "after"
# only an optional "+minutes" delay (the man page documents +time for "after" alone).
_DEPENDENCY_JOB = re.compile(
    rf"(?P<job>{_DIGITS})(?:_(?P<task>{_DIGITS}|\*))?(?:\+(?P<delay>{_DIGITS}))?"
)


@dataclass(frozen=True)
class Dependency:
    """A validated Slurm dependency expression and the job ids it names."""

    expression: str
    job_ids: frozenset[int]


_SHORT = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 40
_SHORT.maxlist = _SHORT.maxdict = 4
_SHORT.maxlevel = 2


def quote_value(value: object) -> str:
    """Return a short representation of a rejected value, safe to put in a message."""
    # reprlib bounds the work for huge lists and strings; repr() of an int over 4300 digits
    # raises ValueError (CVE-2020-10735 limit), so such values are only described.
    try:
        return _SHORT.repr(value)
    except ValueError:
        return f"a value of type {type(value).__name__} too large to show"


def parse_time_limit(value: str | int) -> int:
    """Return a time limit in whole minutes from a JSON integer or a Slurm time string."""
    code = ErrorCode.BAD_TIMELIMIT
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise HpcapiError(code, "timelimit must be a whole number of minutes or a Slurm time")
    if isinstance(value, int):
        minutes = value
    else:
        if value.strip().lower() in _UNLIMITED:
            raise HpcapiError(code, "timelimit must be finite; unlimited jobs are not allowed")
        match = _TIME.fullmatch(value)
        if match is None:
            raise HpcapiError(
                code,
                f"timelimit {quote_value(value)} is not a Slurm time: use minutes, MM:SS, HH:MM:SS,"
                " D-HH, D-HH:MM or D-HH:MM:SS",
            )
        minutes = _minutes_of(match)
    if minutes <= 0:
        raise HpcapiError(code, "timelimit must be longer than zero")
    if minutes > MAX_TIME_LIMIT_MINUTES:
        raise HpcapiError(
            code, f"timelimit must be at most {MAX_TIME_LIMIT_MINUTES} minutes (365 days)"
        )
    return minutes


def _minutes_of(match: re.Match[str]) -> int:
    """Minutes in a matched time string, seconds rounded up like time_str2mins()."""
    parts = {name: int(text) for name, text in match.groupdict().items() if text is not None}
    if "days" in parts:
        seconds = (
            parts["days"] * 86400
            + parts["dh"] * 3600
            + parts.get("dm", 0) * 60
            + parts.get("ds", 0)
        )
    elif "c" in parts:  # hours:minutes:seconds
        seconds = parts["a"] * 3600 + parts["b"] * 60 + parts["c"]
    else:  # minutes[:seconds]
        seconds = parts["a"] * 60 + parts.get("b", 0)
    return (seconds + 59) // 60


def parse_memory(value: str | int) -> int:
    """Return a memory size in megabytes from a JSON integer (MB) or Slurm memory syntax."""
    code = ErrorCode.BAD_MEMORY_SPEC
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise HpcapiError(code, "memory must be a whole number of megabytes or a size like 4G")
    if isinstance(value, int):
        megabytes = value
    else:
        match = _MEMORY.fullmatch(value)
        if match is None:
            raise HpcapiError(
                code,
                f"memory {quote_value(value)} is not a Slurm size: use a whole number with an"
                " optional K, M, G or T suffix (default M)",
            )
        unit = (match["unit"] or "m").lower()
        kilobytes = int(match["number"]) * _MEMORY_FACTOR_KB[unit]
        megabytes = (kilobytes + 1023) // 1024  # Slurm rounds K up to whole megabytes
    if megabytes <= 0:
        # 0 means "all the memory of the node" to Slurm; this API wants an explicit size.
        raise HpcapiError(code, "memory must be at least 1 megabyte")
    if megabytes > MAX_MEMORY_MB:
        raise HpcapiError(code, f"memory must be at most {MAX_MEMORY_MB} megabytes")
    return megabytes


def parse_dependency(value: str) -> Dependency:
    """Return the normalized dependency expression and the job ids it references."""
    code = ErrorCode.BAD_DEPENDENCY
    if not isinstance(value, str):
        raise HpcapiError(code, "dependency must be a string such as afterok:123")
    if not value:
        raise HpcapiError(code, "dependency is empty")
    if len(value) > MAX_DEPENDENCY_LENGTH:
        raise HpcapiError(code, f"dependency is longer than {MAX_DEPENDENCY_LENGTH} characters")
    # slurmctld keeps one and/or flag for the whole list, so "a,b?c" would silently become
    # all-"or"; refuse the mix instead of guessing what was meant.
    if "," in value and "?" in value:
        raise HpcapiError(code, "dependency may join items with ',' (all) or '?' (any), not both")
    separator = "?" if "?" in value else ","
    items: list[str] = []
    job_ids: set[int] = set()
    for item in value.split(separator):
        items.append(_normalize_dependency_item(item, job_ids))
    return Dependency(expression=separator.join(items), job_ids=frozenset(job_ids))


def _normalize_dependency_item(item: str, job_ids: set[int]) -> str:
    """Normalize one ``type:jobid[:jobid...]`` or ``singleton`` item, collecting its job ids."""
    code = ErrorCode.BAD_DEPENDENCY
    kind, colon, rest = item.partition(":")
    kind = kind.lower()  # Slurm compares the type names case-insensitively
    if kind == "singleton" and not colon:
        return kind
    if kind not in DEPENDENCY_TYPES or not colon:
        raise HpcapiError(
            code,
            f"dependency item {quote_value(item)} must be singleton or TYPE:JOBID[:JOBID...] with"
            f" TYPE one of {', '.join(sorted(DEPENDENCY_TYPES))}",
        )
    normalized = [kind]
    for job in rest.split(":"):
        match = _DEPENDENCY_JOB.fullmatch(job)
        if match is None:
            raise HpcapiError(
                code, f"dependency job id {quote_value(job)} in {quote_value(item)} is invalid"
            )
        job_id = int(match["job"])
        if not 0 < job_id <= MAX_JOB_ID:
            raise HpcapiError(code, f"dependency job id {job_id} is out of range")
        text = str(job_id)
        if match["task"] is not None:
            task = match["task"]
            if task != "*" and int(task) > MAX_JOB_ID:
                raise HpcapiError(code, f"dependency array task id {task} is out of range")
            text += "_" + (task if task == "*" else str(int(task)))
        if match["delay"] is not None:
            delay = int(match["delay"])
            if kind != "after":
                raise HpcapiError(code, f"a +minutes delay is only allowed with after, not {kind}")
            if not 0 < delay <= MAX_TIME_LIMIT_MINUTES:
                raise HpcapiError(code, f"dependency delay +{delay} minutes is out of range")
            text += f"+{delay}"
        job_ids.add(job_id)
        normalized.append(text)
    return ":".join(normalized)
