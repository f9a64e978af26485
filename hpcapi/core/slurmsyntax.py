"""Parsers for Slurm's own value syntaxes: time limits, memory sizes, job dependencies, node
counts, job arrays, mail types, start times, GRES and feature constraints.

Each parser accepts what the matching Slurm 22.05 parser accepts (minus "unlimited" and the
undocumented corners noted below), returns a normalized value, and raises ``HpcapiError``
with the field's code for anything else. Only ASCII digits count: Python's ``int()`` and
``\\d`` also accept other scripts' digits, "+4", " 4" and "4_0", which Slurm does not.
"""

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import BeginTime

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


def _int_or_text(value: object, code: ErrorCode, message: str) -> int | str:
    """``value`` if it is a JSON integer (not a boolean) or a string."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise HpcapiError(code, message)
    return value


def parse_time_limit(value: str | int) -> int:
    """Return a time limit in whole minutes from a JSON integer or a Slurm time string."""
    code = ErrorCode.BAD_TIMELIMIT
    value = _int_or_text(value, code, "timelimit must be a whole number of minutes or a Slurm time")
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
    return (_seconds_of(match) + 59) // 60


def _seconds_of(match: re.Match[str]) -> int:
    """Seconds in a matched time string (time_str2secs())."""
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
    return seconds


# --delay-boot is a uint32 of seconds in job_desc_msg_t; a year is far beyond any real use.
MAX_DELAY_BOOT_SECONDS = 365 * 86400


def parse_delay_boot(value: str | int) -> int:
    """Return sbatch --delay-boot in seconds: minutes or a Slurm time (time_str2secs())."""
    code = ErrorCode.BAD_PARAMETER
    value = _int_or_text(value, code, "delay-boot must be minutes or a Slurm time")
    if isinstance(value, int):
        seconds = value * 60
    else:
        match = _TIME.fullmatch(value.strip())
        if match is None:
            raise HpcapiError(
                code, f"delay-boot {quote_value(value)} is not a Slurm time: use minutes, MM:SS,"
                " HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS",
            )  # fmt: skip
        seconds = _seconds_of(match)
    if not 0 <= seconds <= MAX_DELAY_BOOT_SECONDS:
        raise HpcapiError(code, f"delay-boot must be at most {MAX_DELAY_BOOT_SECONDS} seconds")
    return seconds


def parse_oom_kill_step(value: bool | int | str) -> int:
    """Return sbatch --oom-kill-step as 0 or 1 (arg_set_oom_kill_step(); JSON true is 1)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | str) and str(value).strip() in ("0", "1"):
        return int(str(value).strip())
    raise HpcapiError(
        ErrorCode.BAD_PARAMETER, f"oom-kill-step must be 0 or 1, got {quote_value(value)}"
    )


def parse_memory(value: str | int, allow_zero: bool = False) -> int:
    """Return a memory size in megabytes from a JSON integer (MB) or Slurm memory syntax;
    0 only with ``allow_zero`` (sbatch --mem=0: all the memory of each node)."""
    code = ErrorCode.BAD_MEMORY_SPEC
    value = _int_or_text(
        value, code, "memory must be a whole number of megabytes or a size like 4G"
    )
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
    if megabytes < 0 or (megabytes == 0 and not allow_zero):
        # 0 means "all the memory of the node" for --mem only; a 0 per CPU, per GPU or of
        # temporary disk asks for nothing (Slurm would read it as its default).
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


# --- node counts, arrays, mail types, start times, GRES, constraints ------------------------------

# Far above any cluster hpcapi serves; keeps min_nodes * ntasks_per_node small.
MAX_NODES = 100_000
# slurm.conf's MaxArraySize may be at most 4000001, so no array index is ever above 4000000.
MAX_ARRAY_INDEX = 4_000_000
MAX_SPEC_LENGTH = 1024


def _spec_text(value: object, field: str, shape: str) -> str:
    """``value`` if it is a non-empty string of at most MAX_SPEC_LENGTH characters."""
    if not isinstance(value, str) or not value:
        raise HpcapiError(ErrorCode.BAD_PARAMETER, f"{field} must be {shape}")
    if len(value) > MAX_SPEC_LENGTH:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER, f"{field} must be at most {MAX_SPEC_LENGTH} characters"
        )
    return value
MAX_BEGIN_DELAY_SECONDS = 365 * 86400

_NODES = re.compile(rf"(?P<min>{_DIGITS})(?:-(?P<max>{_DIGITS}))?")


def parse_node_count(value: str | int) -> tuple[int, int]:
    """Return (min, max) nodes from a JSON integer, "N" or "MIN-MAX" (verify_node_count())."""
    code = ErrorCode.BAD_PARAMETER
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise HpcapiError(code, "nodes must be a count N or a range MIN-MAX")
    match = _NODES.fullmatch(str(value)) if isinstance(value, str) else None
    if isinstance(value, int):
        low = high = value
    elif match is None:
        raise HpcapiError(code, f"nodes {quote_value(value)} must be a count N or a range MIN-MAX")
    else:
        low = int(match["min"])
        high = int(match["max"]) if match["max"] is not None else low
    if not 1 <= low <= MAX_NODES or not 1 <= high <= MAX_NODES:
        raise HpcapiError(code, f"nodes must be between 1 and {MAX_NODES}")
    if low > high:
        raise HpcapiError(code, f"nodes range {low}-{high} has its minimum above its maximum")
    return low, high


# One index, a range, or a range with a step: the forms of sbatch --array (the man page).
_ARRAY_ITEM = re.compile(rf"(?P<first>{_DIGITS})(?:-(?P<last>{_DIGITS})(?::(?P<step>{_DIGITS}))?)?")


def parse_array_spec(value: str) -> str:
    """Check a job array spec such as "0-15", "1,3,5", "0-15:4" or "0-99%10"; return it."""
    code = ErrorCode.BAD_PARAMETER
    value = _spec_text(value, "array", "a string such as 0-15, 1,3,5, 0-15:4 or 0-99%10")
    indexes, percent, throttle = value.partition("%")
    if percent and (not re.fullmatch(_DIGITS, throttle) or int(throttle) < 1):
        raise HpcapiError(code, f"array throttle %{quote_value(throttle)} must be a count >= 1")
    for item in indexes.split(","):
        match = _ARRAY_ITEM.fullmatch(item)
        if match is None:
            raise HpcapiError(code, f"array item {quote_value(item)} must be N, N-M or N-M:STEP")
        first = int(match["first"])
        last = int(match["last"]) if match["last"] is not None else first
        if last > MAX_ARRAY_INDEX:
            raise HpcapiError(code, f"array indexes must be at most {MAX_ARRAY_INDEX}")
        if first > last:
            raise HpcapiError(code, f"array range {quote_value(item)} runs backwards")
        if match["step"] is not None and int(match["step"]) < 1:
            raise HpcapiError(code, f"array step in {quote_value(item)} must be at least 1")
    return value


def array_spec_holds(spec: str, task: int) -> bool:
    """Whether array spec ``spec`` ("1-2%1", "3,5-7", "0-15:4") includes index ``task``."""
    for item in spec.partition("%")[0].split(","):
        match = _ARRAY_ITEM.fullmatch(item)
        if match is None:
            continue
        first = int(match["first"])
        last = int(match["last"]) if match["last"] is not None else first
        step = int(match["step"]) if match["step"] is not None else 1
        if first <= task <= last and step > 0 and (task - first) % step == 0:
            return True
    return False


# parse_mail_type() in src/common/proc_args.c (22.05.8), which compares case-insensitively.
MAIL_TYPES = (
    "NONE", "BEGIN", "END", "FAIL", "REQUEUE", "ALL", "INVALID_DEPEND", "STAGE_OUT",
    "TIME_LIMIT", "TIME_LIMIT_90", "TIME_LIMIT_80", "TIME_LIMIT_50", "ARRAY_TASKS",
)  # fmt: skip


def parse_mail_types(value: str) -> tuple[str, ...]:
    """Return a comma list of Slurm mail types, upper-cased and without repeats."""
    code = ErrorCode.BAD_PARAMETER
    value = _spec_text(value, "mail-type", "a comma list such as BEGIN,END")
    types: list[str] = []
    for word in value.split(","):
        name = word.upper()
        if name not in MAIL_TYPES:
            raise HpcapiError(
                code,
                f"mail-type {quote_value(word)} is not one of {', '.join(MAIL_TYPES)}",
            )
        if name not in types:
            types.append(name)
    # Slurm stops at NONE and drops every other type, wherever NONE stands; refuse the mix
    # rather than silently ignore what was asked for.
    if "NONE" in types and len(types) > 1:
        raise HpcapiError(code, "mail-type NONE cannot be combined with other types")
    return tuple(types)


# The forms of sbatch --begin: parse_time() in src/common/parse_time.c (25.11.7) as the man
# page documents them. A day: today, tomorrow, YYYY-MM-DD, MMDD[YY], MM/DD[/YY] or MM.DD[.YY].
# parse_time() also takes other digit counts ("125" is Dec 5) and mixed separators ("12/25.27");
# those are refused.
_BEGIN_DAY = re.compile(
    r"(?P<word>today|tomorrow)"
    r"|(?P<iso_y>[0-9]{4})-(?P<iso_m>[0-9]{2})-(?P<iso_d>[0-9]{2})"
    r"|(?P<sep_m>[0-9]{1,2})(?P<sep>[/.])(?P<sep_d>[0-9]{1,2})(?:(?P=sep)(?P<sep_y>[0-9]{2}))?"
    r"|(?P<mmdd_m>[0-9]{2})(?P<mmdd_d>[0-9]{2})(?P<mmdd_y>[0-9]{2})?",
    re.IGNORECASE,
)
# A time of day: HH:MM[:SS], optionally followed by AM or PM (spaces allowed before it), or
# one of parse_time()'s named times.
_BEGIN_CLOCK = re.compile(
    r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?: *(?P<half>[AP]M))?"
    r"|(?P<name>midnight|noon|elevenses|fika|teatime)",
    re.IGNORECASE,
)
_NAMED_TIMES = {
    "midnight": time(0), "noon": time(12), "elevenses": time(11), "fika": time(15),
    "teatime": time(16),
}  # fmt: skip
# Where a day and a time of day meet: spaces (either order, as parse_time() reads any order),
# "T" after YYYY-MM-DD (the man page) and "-" after a month/day (parse_time()'s own comment).
_BEGIN_JOIN = re.compile(r" +|T|-")
# now[{+|-}count[unit]], blanks allowed around the sign and before the unit (the man page
# writes "now + count time-units"); the unit names also singular, compared case-insensitively.
_BEGIN_DELAY = re.compile(
    r"now(?: *(?P<sign>[+-]) *(?P<count>[0-9]{1,9})"
    r"(?: *(?P<unit>seconds?|minutes?|hours?|days?|weeks?))?)?",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
BEGIN_FORMS = (
    "HH:MM[:SS] [AM|PM], midnight, noon, elevenses, fika, teatime, today, tomorrow, MMDD[YY],"
    " MM/DD[/YY], MM.DD[.YY], YYYY-MM-DD[THH:MM[:SS]], a day and a time of day separated by a"
    " space (e.g. \"16:00 tomorrow\"), or now[{+|-}COUNT[seconds|minutes|hours|days|weeks]]"
)


def parse_begin(value: str, field: str = "begin") -> BeginTime:
    """Return an instant from any documented sbatch --begin form (parse_time() syntax).

    --deadline reads the same forms (arg_set_deadline(): parse_time()); ``field`` names it.
    """
    code = ErrorCode.BAD_PARAMETER
    if not isinstance(value, str):
        raise HpcapiError(code, f"{field} must be a string: {BEGIN_FORMS}")
    delay = _BEGIN_DELAY.fullmatch(value)
    if delay is not None:
        return BeginTime(delay_seconds=_begin_delay(delay, field))
    day, clock = _begin_parts(value)
    if day is None and clock is None:
        raise HpcapiError(
            code, f"{field} {quote_value(value)} is not a Slurm time: use {BEGIN_FORMS}"
        )
    time_of_day = time(0) if clock is None else _begin_clock(value, clock, field)
    if day is None:
        return BeginTime(time_of_day=time_of_day)
    if day["word"] is not None:
        days_ahead = 1 if day["word"].lower() == "tomorrow" else 0
        return BeginTime(time_of_day=time_of_day, days_ahead=days_ahead)
    year, month, mday = _begin_date(value, day, field)
    if year is None:
        return BeginTime(time_of_day=time_of_day, month_day=(month, mday))
    return BeginTime(local_time=datetime.combine(date(year, month, mday), time_of_day))


def _begin_delay(match: re.Match[str], field: str) -> int:
    """The seconds of a matched now[{+|-}count[unit]], refused beyond a year either way."""
    if match["count"] is None:
        return 0
    unit = (match["unit"] or "second").lower().rstrip("s")
    seconds = int(match["count"]) * _UNIT_SECONDS[unit]
    if seconds > MAX_BEGIN_DELAY_SECONDS:
        raise HpcapiError(ErrorCode.BAD_PARAMETER, f"{field} must be within 365 days of now")
    return -seconds if match["sign"] == "-" else seconds


def _begin_parts(value: str) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    """The day and the time of day in ``value``, (None, None) if it is no documented form."""
    day, clock = _BEGIN_DAY.fullmatch(value), _BEGIN_CLOCK.fullmatch(value)
    if day is not None or clock is not None:
        return day, clock
    for join in _BEGIN_JOIN.finditer(value):
        head, tail = value[: join.start()], value[join.end() :]
        if join[0] in "T-":
            # Glued to a bare 24-hour HH:MM[:SS]: "T" after YYYY-MM-DD, "-" after a month/day.
            day, clock = _BEGIN_DAY.fullmatch(head), _BEGIN_CLOCK.fullmatch(tail)
            glued_to = ("iso_m",) if join[0] == "T" else ("sep_m", "mmdd_m")
            if (
                day is not None and clock is not None and clock["h"] is not None
                and clock["half"] is None and any(day[form] is not None for form in glued_to)
            ):  # fmt: skip
                return day, clock
            continue
        for day, clock in (
            (_BEGIN_DAY.fullmatch(head), _BEGIN_CLOCK.fullmatch(tail)),
            (_BEGIN_DAY.fullmatch(tail), _BEGIN_CLOCK.fullmatch(head)),
        ):
            if day is not None and clock is not None:
                return day, clock
    return None, None


def _begin_clock(value: str, clock: re.Match[str], field: str) -> time:
    """The wall-clock time of a matched time of day, checked as _get_time() checks it."""
    if clock["name"] is not None:
        return _NAMED_TIMES[clock["name"].lower()]
    hour, minute, second = int(clock["h"]), int(clock["mi"]), int(clock["s"] or 0)
    half = (clock["half"] or "").lower()
    if hour > (12 if half else 23) or minute > 59 or second > 59:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER, f"{field} {quote_value(value)} has no such time of day"
        )
    if half == "am" and hour == 12:
        hour = 0
    elif half == "pm" and hour != 12:
        hour += 12  # parse_time() reads 0 PM as noon too
    return time(hour, minute, second)


def _begin_date(value: str, day: re.Match[str], field: str) -> tuple[int | None, int, int]:
    """(year or None, month, day) of a matched date, a real calendar date."""
    code = ErrorCode.BAD_PARAMETER
    kind = next(form for form in ("iso", "sep", "mmdd") if day[f"{form}_m"] is not None)
    month, mday = int(day[f"{kind}_m"]), int(day[f"{kind}_d"])
    year_text = day[f"{kind}_y"]
    if year_text is None:
        year = None
    elif kind == "iso":
        year = int(year_text)
    elif year_text == "00":
        # _get_date() takes a two-digit year 00 for "no year" (this year or the next).
        raise HpcapiError(
            code, f"{field} {quote_value(value)}: Slurm reads the year 00 as none; write 2000-MM-DD"
        )
    else:
        year = 2000 + int(year_text)  # _get_date(): YY is 20YY
    try:
        date(2000 if year is None else year, month, mday)  # 2000 is a leap year: 02/29 exists
    except ValueError as err:
        raise HpcapiError(code, f"{field} {quote_value(value)} is not a real date") from err
    if year is not None and year < 2000:
        raise HpcapiError(code, f"{field} must be in the year 2000 or later")
    return year, month, mday


def resolve_begin(begin: BeginTime, now: float) -> int:
    """Return the epoch second ``begin`` names for a job submitted at ``now`` (local time)."""
    # Read in this process's local time zone (TZ), as sbatch reads --begin on the submit host.
    if begin.delay_seconds is not None:
        return int(now) + begin.delay_seconds
    if begin.local_time is not None:
        return _local_epoch(begin.local_time)
    clock = begin.time_of_day if begin.time_of_day is not None else time(0)
    current = datetime.fromtimestamp(now)
    today = current.date()
    # parse_time() finds "tomorrow" as the date 24 hours from now, which skips a day after a
    # 23-hour day and repeats one after a 25-hour day; hpcapi takes the next calendar day.
    if begin.days_ahead is not None:
        when = today + timedelta(days=begin.days_ahead)
    elif begin.month_day is not None:
        # This year's date unless it (to the minute) has come already: then next year's.
        month, mday = begin.month_day
        year = today.year
        if (month, mday, clock.hour, clock.minute) <= (
            current.month, current.day, current.hour, current.minute
        ):  # fmt: skip
            year += 1
        # mktime() makes 02/29 of a common year March 1st; so does this.
        when = date(year, month, 1) + timedelta(days=mday - 1)
    else:
        # A time of day alone is today's unless its minute has come: then tomorrow's. Like
        # parse_time(), the seconds do not count: 10:30:45 at 10:30:15 is tomorrow's.
        when = today
        if (clock.hour, clock.minute) <= (current.hour, current.minute):
            when += timedelta(days=1)
    return _local_epoch(datetime.combine(when, clock))


def _local_epoch(wall_clock: datetime) -> int:
    """The epoch second of a naive local wall-clock time."""
    # A time skipped by a DST change counts with the offset before the change (02:30 on the
    # spring-forward night is 03:30 summer time); a time that occurs twice is its first
    # occurrence (PEP 495 fold=0). Slurm's mktime(tm_isdst=-1) agrees on the first and
    # depends on glibc's state of previous calls for the second.
    return int(wall_clock.timestamp())


# One --gres entry as slurm_get_next_tres() (src/common/slurm_protocol_defs.c, 25.11.7) reads
# it: name[[:type]:count]. A last part that starts with a digit and ends in one of
# suffix_mult()'s suffixes is the count; any other last part is a type.
_GRES_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
_GRES_TYPE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_GRES_COUNT = re.compile(r"(?P<number>[0-9]+)(?P<suffix>[A-Za-z]*)")
# The suffixes the sbatch man page documents, powers of 1024. suffix_mult() also takes KiB..PiB
# and the powers of 1000 KB..PB, which hpcapi refuses rather than reads as a type.
_GRES_SUFFIX_FACTOR = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}
_SLURM_ONLY_SUFFIXES = frozenset(
    prefix + tail for prefix in "kmgtp" for tail in ("b", "ib")
)
MAX_GRES_ENTRIES = 32
# gres counts are uint64 in Slurm, which multiplies the suffix without an overflow check and
# keeps the top values for NO_VAL64 and INFINITE64; stay well below them.
MAX_GRES_COUNT = 2**63 - 1
GRES_FORM = (
    "name[:type][:count], entries comma-separated (e.g. gpu, gpu:2, gpu:a100:2,mps:100; count a"
    " whole number >= 1 with an optional k, m, g, t or p suffix)"
)


def parse_gres(value: str) -> str:
    """Return a GRES list such as "gpu:1" or "gpu:tesla:2,mps:100", without "gres:" prefixes;
    "none" as sbatch --gres=none (no GRES, and steps get none of the job's)."""
    code = ErrorCode.BAD_PARAMETER
    value = _spec_text(value, "gres", f"a string: {GRES_FORM}")
    if value.lower() == "none":
        # arg_set_gres(): "none" is kept as it is, without a gres/ prefix, for slurmctld.
        return value
    entries = value.split(",")
    if len(entries) > MAX_GRES_ENTRIES:
        raise HpcapiError(code, f"gres may list at most {MAX_GRES_ENTRIES} resources")
    return ",".join(_parse_gres_entry(entry) for entry in entries)


def _parse_gres_entry(entry: str) -> str:
    """One ``name[:type][:count]`` entry, its "gres:" or "gres/" prefix dropped."""
    code = ErrorCode.BAD_PARAMETER
    if not entry:
        raise HpcapiError(code, f"gres has an empty entry (a comma too many); use {GRES_FORM}")
    # sbatch prepends "gres:" (22.05) or "gres/" (23.11+) itself and drops a doubled prefix
    # of its own kind; hpcapi takes either, stores the bare form and lets submit_body add
    # each version's. Slurm matches the prefix case-sensitively.
    bare = entry[5:] if entry[:5] in ("gres:", "gres/") else entry
    parts = bare.split(":")
    count = _GRES_COUNT.fullmatch(parts[-1]) if len(parts) > 1 else None
    if count is not None and count["suffix"].lower() in _SLURM_ONLY_SUFFIXES:
        raise HpcapiError(
            code, f"gres count {quote_value(parts[-1])} in {quote_value(entry)}: use a k, m, g,"
            " t or p suffix (powers of 1024)"
        )  # fmt: skip
    if count is not None and count["suffix"].lower() not in _GRES_SUFFIX_FACTOR:
        count = None  # like Slurm: a type such as "2x", with the count 1
    if count is not None:
        parts.pop()
    valid = (
        1 <= len(parts) <= 2
        and _GRES_NAME.fullmatch(parts[0]) is not None
        and all(_GRES_TYPE.fullmatch(part) for part in parts[1:])
    )
    if not valid:
        raise HpcapiError(code, f"gres entry {quote_value(entry)} must be {GRES_FORM}")
    if parts[0].lower() == "gres":
        # No GRES is named "gres": a prefix Slurm does not recognize ("GRES:", "gres:gres:").
        raise HpcapiError(
            code, f"gres entry {quote_value(entry)}: the only prefixes are gres: and gres/"
        )
    if parts[0].lower() in ("help", "list", "none"):
        # sbatch prints its help for help/list and treats none specially.
        raise HpcapiError(code, f"gres entry {quote_value(entry)} names no resource")
    if count is not None:
        number = int(count["number"]) * _GRES_SUFFIX_FACTOR[count["suffix"].lower()]
        if number == 0:
            # slurm_get_next_tres() silently drops an entry with a count of 0.
            raise HpcapiError(
                code, f"gres entry {quote_value(entry)} asks for none; leave it out instead"
            )
        if number > MAX_GRES_COUNT:
            raise HpcapiError(code, f"gres count in {quote_value(entry)} is too large")
    return bare


_CONSTRAINT = re.compile(r"[A-Za-z0-9_.\-&|\[\]()*,]+")


def parse_constraint(value: str, field: str = "constraint") -> str:
    """Check a node feature expression such as "intel&(ib|opa)" or "[rack1*2&rack2*4]"."""
    code = ErrorCode.BAD_PARAMETER
    value = _spec_text(value, field, "a feature expression such as intel&gpu")
    if _CONSTRAINT.fullmatch(value) is None or not re.search(r"[A-Za-z0-9]", value):
        raise HpcapiError(
            code,
            f"{field} may hold only letters, digits, _ . - and the operators & | [ ] ( ) * ,",
        )
    depth = {"(": 0, "[": 0}
    closing = {")": "(", "]": "["}
    for char in value:
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                break
    if any(depth.values()):
        raise HpcapiError(code, f"{field} {quote_value(value)} has unbalanced brackets")
    return value


# --- the sbatch options added for the wider submit body -------------------------------------------

# NICE_OFFSET - 3 (arg_set_nice() in src/common/slurm_opt.c; the v0.0.4x NICE parser agrees).
MAX_NICE = 0x80000000 - 3
# warn_time is a uint16 (get_signal_opts() in src/common/proc_args.c).
MAX_SIGNAL_DELAY = 0xFFFF
# Linux signal numbers; get_signal_opts() takes up to 0xffff, which kill() would refuse.
MAX_SIGNAL_NUMBER = 64
# signals_mapping[] in src/common/proc_args.c: the names sig_name2num() knows.
SIGNAL_NUMBERS = {
    "HUP": 1, "INT": 2, "QUIT": 3, "ABRT": 6, "KILL": 9, "USR1": 10, "USR2": 12, "PIPE": 13,
    "ALRM": 14, "TERM": 15, "CHLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20, "TTIN": 21,
    "TTOU": 22, "URG": 23, "XCPU": 24,
}  # fmt: skip
# The default warn_time of get_signal_opts() when no @sig_time is given.
DEFAULT_SIGNAL_DELAY = 60
# verify_hint() in src/common/proc_args.c ("help" prints and exits, so it is left out).
HINT_NAMES = ("compute_bound", "memory_bound", "multithread", "nomultithread")
# arg_set_exclusive(): --exclusive alone is JOB_SHARED_NONE ("exclusive" here).
EXCLUSIVE_MODES = ("exclusive", "user", "mcs", "topo")
OPEN_MODES = ("append", "truncate")


@dataclass(frozen=True)
class SignalSpec:
    """A validated --signal: the signal, seconds before the end, and whom it goes to."""

    number: int
    delay: int = DEFAULT_SIGNAL_DELAY
    batch_only: bool = False  # B: only the batch shell
    reservation: bool = False  # R: also when the reservation ends


_SIGNAL = re.compile(
    r"(?:(?P<flags>[RBrb]{1,2}):)?(?P<signal>[A-Za-z0-9]{1,12})(?:@(?P<delay>[0-9]{1,6}))?"
)


def parse_signal(value: str) -> SignalSpec:
    """Return a --signal spec from "[{R|B}:]<sig_num|sig_name>[@sig_time]"."""
    code = ErrorCode.BAD_PARAMETER
    shape = "signal must be [{R|B}:]<sig_num|sig_name>[@sig_time], e.g. B:USR1@300"
    match = _SIGNAL.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise HpcapiError(code, f"{shape}, got {quote_value(value)}")
    flags = (match["flags"] or "").upper()
    if len(set(flags)) != len(flags):
        raise HpcapiError(code, f"{shape}, got {quote_value(value)}")
    name = match["signal"].upper()
    if name.isdigit():
        number = int(name)
        if not 1 <= number <= MAX_SIGNAL_NUMBER:
            raise HpcapiError(code, f"signal number must be 1 to {MAX_SIGNAL_NUMBER}, got {number}")
    else:
        # sig_name2num(): case-insensitive, with or without the SIG prefix.
        number = SIGNAL_NUMBERS.get(name.removeprefix("SIG"), 0)
        if not number:
            raise HpcapiError(
                code,
                f"signal {quote_value(match['signal'])} is not a number or one of"
                f" {', '.join(SIGNAL_NUMBERS)}",
            )
    delay = DEFAULT_SIGNAL_DELAY if match["delay"] is None else int(match["delay"])
    if delay > MAX_SIGNAL_DELAY:
        raise HpcapiError(code, f"signal time must be at most {MAX_SIGNAL_DELAY} seconds")
    return SignalSpec(number, delay, batch_only="B" in flags, reservation="R" in flags)


_NICE = re.compile(r"[+-]?[0-9]{1,10}")


def parse_nice(value: str | int) -> int:
    """Return a --nice adjustment: a whole number within +/- 2147483645."""
    code = ErrorCode.BAD_PARAMETER
    value = _int_or_text(value, code, "nice must be a whole number")
    if isinstance(value, str):
        if _NICE.fullmatch(value) is None:
            raise HpcapiError(code, f"nice must be a whole number, got {quote_value(value)}")
        value = int(value)
    if abs(value) > MAX_NICE:
        raise HpcapiError(code, f"nice must be between -{MAX_NICE} and {MAX_NICE}")
    return value


def parse_time_minimum(value: str | int) -> int:
    """Return a --time-min in whole minutes, from the syntaxes of a time limit."""
    code = ErrorCode.BAD_PARAMETER
    try:
        return parse_time_limit(value)
    except HpcapiError as error:
        # The same syntax as --time (time_str2mins() in arg_set_time_min()); only the field
        # and its code differ.
        raise HpcapiError(code, error.message.replace("timelimit", "time-min")) from error


def parse_open_mode(value: str) -> str:
    """Return "append" or "truncate" (sbatch --open-mode), compared case-insensitively."""
    if isinstance(value, str) and value.lower() in OPEN_MODES:
        return value.lower()
    raise HpcapiError(
        ErrorCode.BAD_PARAMETER, f"open-mode must be append or truncate, got {quote_value(value)}"
    )


def parse_exclusive(value: bool | str) -> str:
    """Return "exclusive" for JSON true, else "user", "mcs" or "topo" (sbatch --exclusive)."""
    if value is True:
        return "exclusive"
    if isinstance(value, str) and value.lower() in EXCLUSIVE_MODES[1:]:
        return value.lower()
    raise HpcapiError(
        ErrorCode.BAD_PARAMETER,
        f"exclusive must be true, user, mcs or topo, got {quote_value(value)}",
    )


def parse_hint(value: str) -> tuple[str, ...]:
    """Return the --hint names of a comma list, lower case, in order, without repeats."""
    code = ErrorCode.BAD_PARAMETER
    value = _spec_text(value, "hint", f"a comma list of {', '.join(HINT_NAMES)}")
    names: list[str] = []
    for word in value.split(","):
        name = word.lower()  # verify_hint() compares with xstrcasecmp()
        if name not in HINT_NAMES:
            raise HpcapiError(
                code, f"hint {quote_value(word)} is not one of {', '.join(HINT_NAMES)}"
            )
        if name not in names:
            names.append(name)
    return tuple(names)


_GPU_ENTRY = re.compile(r"(?:(?P<type>[A-Za-z0-9_.-]{1,64}):)?(?P<count>[0-9]{1,9})")


def parse_gpu_count(field: str, value: str | int) -> str:
    """Return a GPU request "[type:]N", or a list of typed ones "a100:2,v100:1"."""
    code = ErrorCode.BAD_PARAMETER
    shape = "a GPU count N or TYPE:N, e.g. 2 or a100:2"
    value = _int_or_text(value, code, f"{field} must be {shape}")
    entries = str(value).split(",")
    for entry in entries:
        match = _GPU_ENTRY.fullmatch(entry)
        if match is None or int(match["count"]) < 1:
            raise HpcapiError(code, f"{field} must be {shape}, got {quote_value(value)}")
        # _get_gpu_cnt_and_str() in src/common/slurm_opt.c: an untyped count is never a list.
        if match["type"] is None and len(entries) > 1:
            raise HpcapiError(code, f"{field}: only TYPE:N entries may be listed")
    return ",".join(str(int(e)) if e.isdigit() else e for e in entries)


_HOST_PART = re.compile(r"[A-Za-z0-9_.-]+|\[[0-9,-]+\]")
_HOST_RANGE = re.compile(rf"(?P<first>{_DIGITS})(?:-(?P<last>{_DIGITS}))?")


def parse_hostlist(field: str, value: str) -> tuple[str, ...]:
    """Return the comma-separated items of a hostlist expression such as "cn[01-04,07],gpu1"."""
    code = ErrorCode.BAD_PARAMETER
    value = _spec_text(value, field, "a host list such as cn[01-04],gpu1")
    # A "/" would make sbatch read the list from that file, on the submit host.
    items: list[str] = []
    depth_start = 0
    depth = 0
    for index, char in enumerate(value + ","):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(value[depth_start:index])
            depth_start = index + 1
    if depth != 0:
        raise HpcapiError(code, f"{field} {quote_value(value)} has unbalanced brackets")
    for item in items:
        parts = _HOST_PART.findall(item)
        valid = bool(item) and "".join(parts) == item and not item.startswith("[")
        for part in parts if valid else ():
            if part.startswith("["):
                for piece in part[1:-1].split(","):
                    bounds = _HOST_RANGE.fullmatch(piece)
                    if bounds is None or (
                        bounds["last"] is not None and int(bounds["last"]) < int(bounds["first"])
                    ):
                        valid = False
        if not valid:
            raise HpcapiError(
                code,
                f"{field} item {quote_value(item)} must be a host name or a range such as"
                " cn[01-04,07]",
            )
    return tuple(items)


_LICENSE = re.compile(r"[A-Za-z0-9_.-]{1,64}(?:@[A-Za-z0-9_.-]{1,64})?(?::[0-9]{1,9})?")


def parse_licenses(value: str) -> str:
    """Check a --licenses list "name[@server][:count],..." and return it."""
    value = _spec_text(value, "licenses", "a list such as matlab:2,ansys@db")
    for entry in value.split(","):
        match = _LICENSE.fullmatch(entry)
        if match is None or (":" in entry and int(entry.rpartition(":")[2]) < 1):
            raise HpcapiError(
                ErrorCode.BAD_PARAMETER,
                f"licenses entry {quote_value(entry)} must be NAME[@SERVER][:COUNT]",
            )
    return value


# acct_gather_parse_freq() in src/interfaces/acct_gather.c: "N" (the task interval, kept for
# compatibility) or TYPE=N entries; validate_acctg_freq() checks each comma-separated one.
ACCTG_FREQ_TYPES = ("task", "energy", "network", "filesystem")
_ACCTG_FREQ = re.compile(rf"(?:(?:{'|'.join(ACCTG_FREQ_TYPES)})=)?[0-9]{{1,9}}", re.IGNORECASE)


def parse_acctg_freq(value: str) -> str:
    """Check sbatch --acctg-freq: "N" or "task=N,energy=N,network=N,filesystem=N"."""
    shape = "seconds N or a list such as task=30,energy=60"
    value = _spec_text(value, "acctg-freq", shape)
    for entry in value.split(","):
        if _ACCTG_FREQ.fullmatch(entry) is None:
            raise HpcapiError(
                ErrorCode.BAD_PARAMETER,
                f"acctg-freq entry {quote_value(entry)} must be N or TYPE=N, TYPE one of"
                f" {', '.join(ACCTG_FREQ_TYPES)}",
            )
    return value


# cpu_freq_verify_cmdline() in src/common/cpu_frequency.c: p1[-p2][:governor] or a governor,
# each frequency a number of kHz or one of these names; names compare without case.
CPU_FREQ_NAMES = ("low", "medium", "highm1", "high")
CPU_GOVERNORS = ("conservative", "ondemand", "performance", "powersave", "userspace", "schedutil")
_FREQ = rf"(?:[0-9]{{1,9}}|{'|'.join(CPU_FREQ_NAMES)})"
_CPU_FREQ = re.compile(
    rf"(?:{_FREQ}(?:-{_FREQ})?(?::(?:{'|'.join(CPU_GOVERNORS)}))?|(?:{'|'.join(CPU_GOVERNORS)}))",
    re.IGNORECASE,
)


def parse_cpu_freq(value: str) -> str:
    """Check sbatch --cpu-freq: "p1[-p2][:governor]" or a governor alone."""
    shape = "FREQ[-FREQ][:GOVERNOR] or GOVERNOR, e.g. 2400000 or low-high:ondemand"
    value = _spec_text(value, "cpu-freq", shape)
    if _CPU_FREQ.fullmatch(value) is None:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER,
            f"cpu-freq {quote_value(value)} must be {shape}; a frequency is kHz or one of"
            f" {', '.join(CPU_FREQ_NAMES)}, a governor one of {', '.join(CPU_GOVERNORS)}",
        )
    return value


# The --gres-flags every supported release carries (22.05's gres_flags enum; the v0.0.4x
# GRES_BINDING_ENFORCED and GRES_BINDING_DISABLED job flags).
GRES_FLAGS = ("enforce-binding", "disable-binding")


def parse_gres_flags(value: str) -> str:
    """Check sbatch --gres-flags: enforce-binding or disable-binding, lower case."""
    shape = " or ".join(GRES_FLAGS)
    text = _spec_text(value, "gres-flags", shape)
    if text.lower() not in GRES_FLAGS:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER,
            f"gres-flags {quote_value(value)} must be {shape} (the sharing flags of newer"
            " Slurm releases are not carried)",
        )
    return text.lower()


def parse_yes_no(field: str, value: bool | str) -> bool:
    """sbatch's yes or no (--kill-on-invalid-dep, xstrcasecmp), or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("yes", "no"):
        return value.lower() == "yes"
    raise HpcapiError(
        ErrorCode.BAD_PARAMETER, f"{field} must be yes or no (or true or false), got"
        f" {quote_value(value)}",
    )  # fmt: skip


_TEXT_LINE = re.compile(r"[^\x00-\x1f\x7f]+")


def parse_text_line(value: str, field: str) -> str:
    """Check a free-form option (--extra, --bb, ...): one line of text without controls."""
    value = _spec_text(value, field, "one line of text")
    if _TEXT_LINE.fullmatch(value) is None:
        raise HpcapiError(ErrorCode.BAD_PARAMETER, f"{field} must be one line of printable text")
    return value


@dataclass(frozen=True)
class Distribution:
    """A validated --distribution: Slurm's name for it (SLURM_DISTRIBUTION) and a plane size."""

    name: str  # set_distribution()'s form: "cyclic:block", "block,pack", "plane", "pack"
    plane_size: int | None = None

    @property
    def request(self) -> str:
        """The --distribution string slurmrestd reads (verify_dist_type())."""
        return f"plane={self.plane_size}" if self.plane_size is not None else self.name


DISTRIBUTION_LEVELS = ("block", "cyclic", "fcyclic")
DISTRIBUTION_FLAGS = ("pack", "nopack")
# _parse_plane_dist(): a plane size is 1 to INT_MAX.
MAX_PLANE_SIZE = 0x7FFFFFFF
_DISTRIBUTION_SHAPE = (
    "NODE[:SOCKET[:CORE]][,pack|nopack] with block, cyclic (fcyclic for socket and core) or *,"
    " or plane=N"
)


def parse_distribution(value: str) -> Distribution:
    """Read sbatch --distribution as verify_dist_type() does (src/common/proc_args.c)."""
    code = ErrorCode.BAD_PARAMETER
    text = _spec_text(value, "distribution", _DISTRIBUTION_SHAPE)
    invalid = HpcapiError(code, f"distribution {quote_value(value)} is not {_DISTRIBUTION_SHAPE}")
    if text[:5].lower() == "plane":
        # _parse_plane_dist(): plane takes no other level or flag; its size follows "=" (the
        # SLURM_DIST_PLANESIZE fallback is the submitting shell's, which an API request lacks).
        size = text.partition("=")[2]
        if not (size.isdigit() and size.isascii() and 0 < int(size) <= MAX_PLANE_SIZE):
            raise HpcapiError(code, f"distribution {quote_value(value)}: plane needs a size,"
                              " plane=N with N from 1")  # fmt: skip
        return Distribution("plane", int(size))
    base, _, flag = text.partition(",")
    # _parse_dist_base(): "*" is block for nodes, cyclic for sockets, the socket's for cores.
    levels: list[str] = []
    for index, level in enumerate(base.split(":")):
        if level == "*" and index < 3:
            level = ("block", "cyclic", levels[1] if len(levels) > 1 else "")[index]
        levels.append(level.lower())
    name = ":".join(levels)
    if name in ("arbitrary", "hostfile"):
        raise HpcapiError(code, "distribution arbitrary cannot be carried by hpcapi (it lays"
                          " tasks out by a host list that sbatch reads on the submit host)")
    known = (
        len(levels) <= 3 and levels[0] in ("block", "cyclic")
        and all(level in DISTRIBUTION_LEVELS for level in levels[1:])
    )  # fmt: skip
    if not known:
        # A flag alone ("pack") is a distribution of its own: the default layout, packed.
        if name in DISTRIBUTION_FLAGS and not flag:
            return Distribution(name)
        raise invalid
    if flag:
        if flag.lower() not in DISTRIBUTION_FLAGS:
            raise invalid
        name = f"{name},{flag.lower()}"
    return Distribution(name)


# slurm_xstr_mem_bind_type() in src/common/slurm_resource_info.c lists the flags in this order.
MEM_BIND_KINDS = ("none", "rank", "local", "map_mem", "mask_mem")


@dataclass(frozen=True)
class MemoryBinding:
    """A validated --mem-bind: its kind, flags and expanded map or mask list."""

    kind: str | None = None  # one of MEM_BIND_KINDS
    verbose: bool = False
    prefer: bool = False
    values: str | None = None  # map_mem/mask_mem list, multipliers expanded

    @property
    def names(self) -> tuple[str, ...]:
        """The flag names as slurm_xstr_mem_bind_type() writes them."""
        flags = ("verbose",) * self.verbose + ("prefer",) * self.prefer
        return flags + ((self.kind,) if self.kind else ())

    @property
    def text(self) -> str:
        """SLURM_MEM_BIND as sbatch sets it: the names, then ":" and the list."""
        return ",".join(self.names) + (f":{self.values}" if self.values else "")


# A bound on a list's "N*count", so that one request cannot expand into megabytes.
MAX_MEM_BIND_REPEAT = 4096
_MEM_BIND_VALUE = re.compile(r"[0-9]|[0-9A-Fa-f]*(?:,|$)")
_MEM_BIND_SHAPE = "none, rank, local, map_mem:LIST or mask_mem:LIST, with verbose, quiet, prefer"


def parse_mem_bind(value: str) -> MemoryBinding | None:
    """Read sbatch --mem-bind as slurm_verify_mem_bind() does; None: it binds nothing."""
    code = ErrorCode.BAD_PARAMETER
    text = _spec_text(value, "mem-bind", _MEM_BIND_SHAPE)
    # A "," not followed by a value separates options; one followed by a value is in a list.
    tokens, start = [], 0
    for index, char in enumerate(text):
        if char == "," and not _MEM_BIND_VALUE.match(text, index + 1):
            tokens.append(text[start:index])
            start = index + 1
    tokens.append(text[start:])
    kind, values, verbose, prefer = None, None, False, False
    for token in tokens:
        word = token.lower()
        if word in ("p", "prefer"):
            prefer = True
        elif word in ("q", "quiet"):
            verbose = False
        elif word in ("v", "verbose"):
            verbose = True
        elif word in ("no", "none", "rank", "local"):
            kind, values = {"no": "none"}.get(word, word), None
        elif word.startswith(("map_mem", "mapmem", "mask_mem", "maskmem")):
            kind = "mask_mem" if word.startswith("mask") else "map_mem"
            parts = re.split("[:=]", token, maxsplit=2)
            if len(parts) < 2 or not parts[1]:
                raise HpcapiError(code, f"mem-bind: missing list for {kind}:<list>")
            values = _expand_mem_bind_list(parts[1], kind)
        else:
            raise HpcapiError(code, f"mem-bind: unrecognized argument {quote_value(token)};"
                              f" use {_MEM_BIND_SHAPE}")  # fmt: skip
    if kind is None and not verbose and not prefer:
        return None  # mem_bind_type 0: sbatch sends and sets nothing
    return MemoryBinding(kind, verbose, prefer, values)


def _expand_mem_bind_list(items: str, kind: str) -> str:
    """A map or mask list with "N*count" multipliers written out (_expand_mult())."""
    code = ErrorCode.BAD_PARAMETER
    mask = kind == "mask_mem"
    digits = "0123456789abcdefABCDEF" if mask else "0123456789"
    result: list[str] = []
    for item in (part for part in items.split(",") if part):  # strtok_r skips empty ones
        if mask and item.startswith("0x"):
            item = item[2:]
        item, star, count_text = item.partition("*")
        count = 1
        if star:
            if not (count_text.isdigit() and count_text.isascii() and 0 < int(count_text)
                    <= MAX_MEM_BIND_REPEAT):
                raise HpcapiError(code, f"mem-bind: invalid {kind} multiplier"
                                  f" {quote_value(count_text)}")  # fmt: skip
            count = int(count_text)
        if not item or any(char not in digits for char in item):
            raise HpcapiError(code, f"mem-bind: {quote_value(item)} is not a"
                              f" {'hexadecimal mask' if mask else 'number'} in {kind}")
        result += [item] * count
    if not result:
        raise HpcapiError(code, f"mem-bind: empty {kind} list")
    return ",".join(result)


# arg_set_priority(): "TOP" is NO_VAL - 1; a number must be below NO_VAL.
PRIORITY_TOP = 0xFFFFFFFE - 1
MAX_PRIORITY = 0xFFFFFFFE - 1


def parse_priority(value: str | int) -> int:
    """Return sbatch --priority: 0 or more, or TOP (which slurmctld allows operators only)."""
    code = ErrorCode.BAD_PARAMETER
    if isinstance(value, str) and value.strip().upper() == "TOP":
        return PRIORITY_TOP
    number = _int_or_text(value, code, "priority must be a number or TOP")
    if isinstance(number, str):
        if not (number.strip().isdigit() and number.strip().isascii()):
            raise HpcapiError(code, f"priority {quote_value(value)} must be a number or TOP")
        number = int(number.strip())
    if not 0 <= number < MAX_PRIORITY:
        raise HpcapiError(code, f"priority must be from 0 to {MAX_PRIORITY - 1}, or TOP")
    return number


# acct_gather_profile_from_string(): none, all, or any of the series.
PROFILE_SERIES = ("energy", "task", "lustre", "network")


def parse_profile(value: str) -> tuple[str, ...]:
    """Return sbatch --profile's series (ALL is all four, NONE none), upper case."""
    shape = f"none, all or a list of {', '.join(PROFILE_SERIES)}"
    words = [word.lower() for word in _spec_text(value, "profile", shape).split(",")]
    if any(word not in ("none", "all", *PROFILE_SERIES) for word in words):
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER, f"profile {quote_value(value)} must be {shape}"
        )
    if "none" in words:
        return ("NONE",)
    chosen = PROFILE_SERIES if "all" in words else [s for s in PROFILE_SERIES if s in words]
    return tuple(series.upper() for series in chosen)


@dataclass(frozen=True)
class SwitchRequest:
    """A validated --switches: the most leaf switches, and how long to wait for them."""

    count: int
    wait_seconds: int | None = None


# parse_int("--switches", ..., true): a positive int.
MAX_SWITCHES = 0x7FFFFFFF


def parse_switches(value: str | int) -> SwitchRequest:
    """Read sbatch --switches "COUNT[@MAX-TIME]" (arg_set_switches(), time_str2secs())."""
    code = ErrorCode.BAD_PARAMETER
    shape = "COUNT[@MAX-TIME], e.g. 1 or 2@10:00"
    text = str(_int_or_text(value, code, f"switches must be {shape}")).strip()
    count, at, wait = text.partition("@")
    if not (count.isdigit() and count.isascii() and 0 < int(count) <= MAX_SWITCHES):
        raise HpcapiError(code, f"switches {quote_value(value)} must be {shape}")
    if not at:
        return SwitchRequest(int(count))
    match = _TIME.fullmatch(wait)
    if match is None:
        raise HpcapiError(code, f"switches {quote_value(value)}: the wait is not a Slurm time")
    return SwitchRequest(int(count), _seconds_of(match))


# parse_uint16(): 0 to 65534 (NO_VAL16 - 1).
MAX_SEGMENT_SIZE = 0xFFFE - 1


# tres_bind_verify_cmdline() for gres/gpu: [verbose,]closest|none|map_gpu:L|mask_gpu:L|
# per_task:N|single:N.
_GPU_BIND = re.compile(
    r"(?:verbose,)?(?:closest|none|map_gpu:[0-9*,]+|mask_gpu:[0-9A-Fa-fx*,]+|per_task:[0-9]{1,9}"
    r"|single:[0-9]{1,9})"
)
_GPU_BIND_SHAPE = "[verbose,]closest, none, map_gpu:LIST, mask_gpu:LIST, per_task:N or single:N"


def parse_gpu_bind(value: str) -> str:
    """Check sbatch --gpu-bind (its tres_bind is "gres/gpu:" and the value)."""
    text = _spec_text(value, "gpu-bind", _GPU_BIND_SHAPE)
    if _GPU_BIND.fullmatch(text) is None:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER, f"gpu-bind {quote_value(value)} must be {_GPU_BIND_SHAPE}"
        )
    return text


# tres_freq_verify_cmdline() for gpu: a frequency, memory=frequency, verbose; comma-separated.
_GPU_FREQ_ITEM = re.compile(
    rf"(?:memory=)?(?:[0-9]{{1,9}}|{'|'.join(CPU_FREQ_NAMES)})|verbose", re.IGNORECASE
)
_GPU_FREQ_SHAPE = "FREQ[,memory=FREQ][,verbose], FREQ being MHz or low, medium, highm1, high"


def parse_gpu_freq(value: str) -> str:
    """Check sbatch --gpu-freq (its tres_freq is "gpu:" and the value)."""
    text = _spec_text(value, "gpu-freq", _GPU_FREQ_SHAPE)
    if any(_GPU_FREQ_ITEM.fullmatch(item) is None for item in text.split(",")):
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER, f"gpu-freq {quote_value(value)} must be {_GPU_FREQ_SHAPE}"
        )
    return text


_NODE_INFO_PART = re.compile(r"(?P<min>[0-9]{1,9})(?:-[0-9]{1,9})?|\*|")


def parse_extra_node_info(value: str) -> tuple[int | None, int | None, int | None]:
    """Read sbatch -B "S[:C[:T]]" (verify_socket_core_thread_count()): sockets per node,
    cores per socket and threads per core, each a minimum, a MIN-MAX range or "*" (any)."""
    shape = "SOCKETS[:CORES[:THREADS]], each N, MIN-MAX or *"
    parts = _spec_text(value, "extra-node-info", shape).split(":")
    counts: list[int | None] = []
    for part in parts:
        match = _NODE_INFO_PART.fullmatch(part)
        if len(parts) > 3 or match is None or (match["min"] and int(match["min"]) < 1):
            raise HpcapiError(
                ErrorCode.BAD_PARAMETER, f"extra-node-info {quote_value(value)} must be {shape}"
            )
        counts.append(int(match["min"]) if match["min"] else None)
    counts += [None] * (3 - len(counts))
    return counts[0], counts[1], counts[2]


# tres_bind_verify_cmdline(): "gres/NAME:BINDING" entries joined by "+" (the GPU bindings of
# --gpu-bind for gres/gpu).
_TRES_BIND_ENTRY = re.compile(r"gres/(?P<name>[A-Za-z][A-Za-z0-9_.-]{0,63}):(?P<binding>.+)")


def parse_tres_bind(value: str) -> str:
    """Check sbatch --tres-bind, e.g. "gres/gpu:closest" or "gres/gpu:single:1"."""
    shape = "gres/NAME:BINDING[+gres/NAME:BINDING], e.g. gres/gpu:closest"
    text = _spec_text(value, "tres-bind", shape)
    for entry in text.split("+"):
        match = _TRES_BIND_ENTRY.fullmatch(entry)
        valid = match is not None and (
            match["name"] != "gpu" or _GPU_BIND.fullmatch(match["binding"]) is not None)
        if not valid:
            raise HpcapiError(
                ErrorCode.BAD_PARAMETER, f"tres-bind {quote_value(entry)} must be {shape}"
            )
    return text


@dataclass(frozen=True)
class TresPerTask:
    """A validated --tres-per-task: the string as given, and the counts it sets."""

    text: str  # the job's TresPerTask, as the user wrote it
    cpus: int | None = None  # cpu=N: --cpus-per-task
    gpus: str | None = None  # gres/gpu[:type]=N entries: --gpus-per-task "[type:]N,..."


_TRES_PER_TASK_ENTRY = re.compile(
    r"(?:cpu=(?P<cpus>[0-9]{1,5})|gres/gpu(?::(?P<type>[A-Za-z0-9_.-]{1,64}))?[=:](?P<gpus>[0-9]{1,5}))"
)


def parse_tres_per_task(value: str) -> TresPerTask:
    """Read sbatch --tres-per-task "cpu=N,gres/gpu[:type]=N" (the entries hpcapi carries)."""
    shape = "cpu=N and gres/gpu[:TYPE]=N entries, e.g. cpu=2,gres/gpu=1"
    text = _spec_text(value, "tres-per-task", shape)
    cpus: int | None = None
    gpus: list[str] = []
    for entry in text.split(","):
        match = _TRES_PER_TASK_ENTRY.fullmatch(entry)
        if match is None or int(match["cpus"] or match["gpus"]) < 1:
            raise HpcapiError(
                ErrorCode.BAD_PARAMETER, f"tres-per-task entry {quote_value(entry)}: only {shape}"
                " are carried",
            )  # fmt: skip
        if match["cpus"]:
            cpus = int(match["cpus"])
        else:
            gpus.append(f"{match['type']}:{match['gpus']}" if match["type"] else match["gpus"])
    return TresPerTask(text, cpus, ",".join(gpus) or None)
