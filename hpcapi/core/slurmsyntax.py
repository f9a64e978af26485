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
from datetime import datetime

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


_BEGIN_DATE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:T(?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?)?"
)
# parse_time() in src/common/parse_time.c: now+count[seconds|minutes|hours|days|weeks], the
# unit names also singular, compared case-insensitively.
_BEGIN_DELAY = re.compile(
    r"now\+(?P<count>[0-9]{1,9})(?P<unit>seconds?|minutes?|hours?|days?|weeks?)?", re.IGNORECASE
)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def parse_begin(value: str) -> BeginTime:
    """Return a start time from YYYY-MM-DD[THH:MM[:SS]] or now+N[unit]."""
    code = ErrorCode.BAD_PARAMETER
    hint = (
        "begin must be YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or now+N[seconds|minutes|hours|days|weeks]"
    )
    if not isinstance(value, str):
        raise HpcapiError(code, hint)
    delay = _BEGIN_DELAY.fullmatch(value)
    if delay is not None:
        unit = (delay["unit"] or "second").lower().rstrip("s")
        seconds = int(delay["count"]) * _UNIT_SECONDS[unit]
        if seconds > MAX_BEGIN_DELAY_SECONDS:
            raise HpcapiError(code, "begin must be at most 365 days from now")
        return BeginTime(delay_seconds=seconds)
    date = _BEGIN_DATE.fullmatch(value)
    if date is None:
        raise HpcapiError(code, f"{hint}, got {quote_value(value)}")
    parts = {name: int(text) for name, text in date.groupdict().items() if text is not None}
    try:
        when = datetime(
            parts["y"], parts["mo"], parts["d"], parts.get("h", 0), parts.get("mi", 0),
            parts.get("s", 0),
        )  # fmt: skip
    except ValueError as err:
        raise HpcapiError(code, f"begin {quote_value(value)} is not a real date and time") from err
    if when.year < 2000:
        raise HpcapiError(code, "begin must be in the year 2000 or later")
    return BeginTime(local_time=when)


_GRES_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
_GRES_TYPE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_GRES_COUNT = re.compile(r"[0-9]{1,9}")
MAX_GRES_ENTRIES = 32


def parse_gres(value: str) -> str:
    """Return a GRES list such as "gpu:1" or "gpu:tesla:2,mps:100", without "gres:" prefixes."""
    code = ErrorCode.BAD_PARAMETER
    value = _spec_text(value, "gres", "a list such as gpu:1 or gpu:tesla:2")
    entries = value.split(",")
    if len(entries) > MAX_GRES_ENTRIES:
        raise HpcapiError(code, f"gres may list at most {MAX_GRES_ENTRIES} resources")
    normalized = []
    for entry in entries:
        # sbatch prepends "gres:" (22.05) or "gres/" (23.11+) itself and drops a doubled one;
        # hpcapi stores the bare form and lets translate add each version's prefix.
        bare = entry[5:] if entry[:5].lower() in ("gres:", "gres/") else entry
        parts = bare.split(":")
        count = parts.pop() if len(parts) > 1 and _GRES_COUNT.fullmatch(parts[-1]) else None
        valid = (
            1 <= len(parts) <= 2
            and _GRES_NAME.fullmatch(parts[0]) is not None
            and all(_GRES_TYPE.fullmatch(part) for part in parts[1:])
            and (count is None or int(count) > 0)
            and parts[0].lower() not in ("help", "list", "none")
        )
        if not valid:
            raise HpcapiError(
                code, f"gres entry {quote_value(entry)} must be NAME[:TYPE][:COUNT], e.g. gpu:2"
            )
        normalized.append(bare)
    return ",".join(normalized)


_CONSTRAINT = re.compile(r"[A-Za-z0-9_.\-&|\[\]()*,]+")


def parse_constraint(value: str) -> str:
    """Check a node feature expression such as "intel&(ib|opa)" or "[rack1*2&rack2*4]"."""
    code = ErrorCode.BAD_PARAMETER
    value = _spec_text(value, "constraint", "a feature expression such as intel&gpu")
    if _CONSTRAINT.fullmatch(value) is None or not re.search(r"[A-Za-z0-9]", value):
        raise HpcapiError(
            code,
            "constraint may hold only letters, digits, _ . - and the operators & | [ ] ( ) * ,",
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
        raise HpcapiError(code, f"constraint {quote_value(value)} has unbalanced brackets")
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
