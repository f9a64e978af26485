"""How hpcapi reads slurmrestd's answers, per API version: ping, jobs, partitions, nodes.

slurmctld's live records and slurmdbd's accounting records become ``Job``; each branch names the
Slurm release that made the change. Real records of each release are the tests' data
(tests/data/slurmrestd/, recorded by dev/record-slurm-records).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from hpcapi.model import Job, Node, Partition
from hpcapi.protocol import FINISHED_STATES
from hpcapi.slurm.versions import check_api_version

T = TypeVar("T")

# Slurm's base job states; a v0.0.40+ job_state list may add flags (COMPLETING, REQUEUED, ...).
_BASE_STATES = FINISHED_STATES | {"PENDING", "RUNNING", "SUSPENDED"}


# --- ping ---------------------------------------------------------------------------------------


def _responding(api_version: str, ping: Mapping[str, Any]) -> bool:
    responding = ping.get("responding")
    if isinstance(responding, bool):
        return responding
    key = "ping" if api_version == "v0.0.38" else "pinged"
    return ping.get(key) == "UP"


def read_pings(api_version: str, body: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The controllers of a ping answer as ``{hostname, status}``, and whether any responds."""
    check_api_version(api_version)
    # Slurm 22.05: pings[].ping is "UP"/"DOWN". Slurm 23.11 (v0.0.40): renamed pings[].pinged;
    # Slurm 24.11 (v0.0.42) adds pings[].responding, false when slurmctld refused the token
    # (25.11 answers an authentication failure with 200 and responding false, REST-25.11.md).
    key = "ping" if api_version == "v0.0.38" else "pinged"
    pings = [p for p in body.get("pings") or [] if isinstance(p, Mapping)]
    controllers = [{"hostname": p.get("hostname"), "status": p.get(key)} for p in pings]
    return controllers, any(_responding(api_version, p) for p in pings)


# --- the job records ----------------------------------------------------------------------------


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: object) -> int | None:
    """A plain int, or a v0.0.40+ {set, infinite, number} struct; unset or infinite is None."""
    if isinstance(value, Mapping):
        if value.get("set") is not True or value.get("infinite") is True:
            return None
        value = value.get("number")
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _epoch(value: object) -> int | None:
    """A Slurm time (int or struct) as epoch seconds; 0 and negatives mean unknown."""
    number = _number(value)
    return number if number is not None and number > 0 else None


def _job_id(value: object) -> int:
    # 0 (never a Slurm job id) stands for "missing": the schema makes no field required.
    number = _number(value)
    return number if number is not None and number > 0 else 0


def _state_word(value: object) -> str:
    # Slurm 22.05 gives "COMPLETED"; 23.11 (v0.0.40) gives a list such as ["COMPLETED"], to
    # which flags (COMPLETING, REQUEUED, ...) may be added: take the base state.
    if isinstance(value, list):
        words = [item.upper() for item in value if isinstance(item, str)]
        base = [word for word in words if word in _BASE_STATES]
        value = (base or words or [""])[0]
    return _text(value).upper() or "UNKNOWN"


def _reason(value: object) -> str | None:
    reason = _text(value)
    return None if reason in ("", "None") else reason


def _shown_times(state: str, start: int | None, end: int | None, time_limit: int | None,
                 source: str) -> tuple[int | None, int | None]:
    """The start and end to show: what has happened, and a running job's expected end."""
    if state in FINISHED_STATES:
        return start, end
    if state == "RUNNING":
        # slurmctld's end_time of a running job is its expected end: job_end_time_reset()
        # (src/slurmctld/job_mgr.c, read in 25.11.7) sets start_time + time_limit * 60, moved
        # when the limit changes or the job is resumed; with no time limit it is a year on, no
        # end to report. slurmdbd records end 0 until the job ends, so an accounting record
        # gets the same reckoning from its start and limit (a resumed job's extra time is only
        # in the live record).
        if time_limit is None:
            return start, None
        if source == "live":
            return start, end
        return start, start + time_limit * 60 if start is not None else None
    if state == "PENDING" and source == "live" and start is not None and end is not None \
            and end > start:
        # A pending job's start is the backfill scheduler's forecast, shown to no one; the end
        # slurmctld reports with it (pack_job(): the forecast start plus the time limit)
        # is its expected end. A held job has neither (0, 0); slurmdbd's record of a pending
        # job has start == end (seen on 25.11.7), no expected end: both stay null.
        return None, end
    return (None if state == "PENDING" else start), None


def decode_wait_status(status: object) -> tuple[int | None, int | None]:
    """Split a raw wait(2) status (v0.0.38's live exit_code) into (exit code, signal)."""
    if isinstance(status, bool) or not isinstance(status, int) or status < 0:
        return None, None
    signal_number = status & 0x7F
    if signal_number:
        return None, signal_number
    return (status >> 8) & 0xFF, None


def _signal_number(block: Mapping[str, Any]) -> int | None:
    number = _number(block.get("id"))
    if number is None:
        number = _number(block.get("signal_id"))  # Slurm 22.05's accounting spelling
    if number is None:
        name = _text(block.get("name")).upper()
        try:
            number = int(signal.Signals[name if name.startswith("SIG") else f"SIG{name}"])
        except KeyError:
            return None
    return number


def decode_exit_struct(value: object) -> tuple[int | None, int | None]:
    """Split a v0.0.40+ exit_code struct {status, return_code, signal} into (exit code, signal)."""
    block = _mapping(value)
    raw_status = block.get("status")
    # A list from Slurm 23.11 (v0.0.40); a single string in 22.05's accounting record.
    statuses = raw_status if isinstance(raw_status, list) else [raw_status]
    status = {item.upper() for item in statuses if isinstance(item, str)}
    if status & {"SIGNALED", "CORE_DUMPED"}:
        return None, _signal_number(_mapping(block.get("signal")))
    if status & {"INVALID", "PENDING"}:
        return None, None
    return _number(block.get("return_code")), None


# Slurm's NO_VAL and INFINITE for 32-bit numbers: an unset or unlimited value, never a real one.
_NO_VAL = 0xFFFFFFFE


def _count(value: object) -> int | None:
    """A uint32 (int or struct) that may be unset or unlimited: -1, NO_VAL, INFINITE are None."""
    number = _number(value)
    return number if number is not None and 0 <= number < _NO_VAL else None


def _optional_text(value: object, *empty: str) -> str | None:
    text = _text(value)
    return None if text in ("", *empty) else text


@dataclass(frozen=True)
class _Details:
    """The descriptive fields of a job record, already read for its version."""

    time_limit: object = None
    nodes: object = None
    output: object = None  # the pattern asked for (%j ...)
    error: object = None
    output_path: object = None  # Slurm's own expansion of it, where the record gives one
    error_path: object = None
    working_directory: object = None
    comment: object = None
    array_job_id: object = None
    array_task_id: object = None
    array_pending: object = None


def _detail_fields(details: _Details) -> dict[str, Any]:
    output = _optional_text(details.output)
    output_path = _optional_text(details.output_path)
    error = _optional_text(details.error)
    array_job_id = _count(details.array_job_id)
    return {
        "time_limit": _count(details.time_limit),
        # 22.05's accounting says "None assigned" for a job that never ran.
        "nodes": _optional_text(details.nodes, "None assigned"),
        "output": output,
        # With no stderr pattern, Slurm writes stderr into the output file.
        "error": error or output,
        "output_path": output_path,
        "error_path": _optional_text(details.error_path) or (None if error else output_path),
        "working_directory": _optional_text(details.working_directory),
        "comment": _optional_text(details.comment),
        # 0 means "not an array job" for the master id; task 0 is a real task.
        "array_job_id": array_job_id or None,
        "array_task_id": _count(details.array_task_id),
        "array_pending": _optional_text(details.array_pending),
    }


def _job(
    record: Mapping[str, Any],
    *,
    user: object,
    state: str,
    reason: object,
    times: tuple[object, object, object],
    exit_status: tuple[int | None, int | None],
    source: str,
    details: _Details,
) -> Job:
    submit, start, end = (_epoch(value) for value in times)
    start, end = _shown_times(state, start, end, _count(details.time_limit), source)
    exit_code, signal_number = exit_status if state in FINISHED_STATES else (None, None)
    return Job(
        job_id=_job_id(record.get("job_id")),
        user=_text(user),
        name=_text(record.get("name")),
        partition=_text(record.get("partition")),
        state=state,
        reason=_reason(reason),
        submit_time=submit,
        start_time=start,
        end_time=end,
        exit_code=exit_code,
        signal=signal_number,
        source=source,
        **_detail_fields(details),
    )


def _live_times(record: Mapping[str, Any]) -> tuple[object, object, object]:
    return record.get("submit_time"), record.get("start_time"), record.get("end_time")


# The versions whose live standard_output/standard_error are Slurm's expansion of the pattern
# rather than the pattern (seen for v0.0.41 and v0.0.42 on 25.11.7; v0.0.40 taken to be alike).
# v0.0.43 (25.05) gives the pattern again, with its expansion in stdout_expanded.
_LIVE_OUTPUT_EXPANDED = frozenset({"v0.0.40", "v0.0.41", "v0.0.42"})


# _Details field -> the live record's key for it, in every version.
_LIVE_DETAIL_KEYS = {
    "time_limit": "time_limit", "nodes": "nodes", "working_directory": "current_working_directory",
    "comment": "comment", "array_job_id": "array_job_id", "array_task_id": "array_task_id",
    "array_pending": "array_task_string",
}


def _live_details(record: Mapping[str, Any], api_version: str) -> _Details:
    # The same keys in every version; Slurm 23.11 (v0.0.40) made time_limit, array_job_id and
    # array_task_id {set, infinite, number} structs, which _count() reads like the plain ints.
    if api_version in _LIVE_OUTPUT_EXPANDED:
        paths: dict[str, object] = {"output_path": record.get("standard_output"),
                                    "error_path": record.get("standard_error")}
    else:
        paths = {"output": record.get("standard_output"), "error": record.get("standard_error"),
                 "output_path": record.get("stdout_expanded"),
                 "error_path": record.get("stderr_expanded")}
    return _Details(**paths, **{field: record.get(key) for field, key in _LIVE_DETAIL_KEYS.items()})


def _read_live_job(record: Mapping[str, Any], api_version: str,
                   decode_exit: Callable[[object], tuple[int | None, int | None]]) -> Job:
    return _job(
        record,
        user=record.get("user_name"),
        state=_state_word(record.get("job_state")),
        reason=record.get("state_reason"),
        times=_live_times(record),
        exit_status=decode_exit(record.get("exit_code")),
        source="live",
        details=_live_details(record, api_version),
    )


def read_live_job_v0038(record: Mapping[str, Any]) -> Job:
    """Read one v0.0.38 ``/slurm/v0.0.38/job(s)`` record (slurmctld's view, Slurm 22.05)."""
    # Slurm 22.05: exit_code is the raw wait status (exit 3 -> 768, SIGTERM -> 15).
    return _read_live_job(record, "v0.0.38", decode_wait_status)


def read_live_job_v0040(record: Mapping[str, Any], api_version: str = "v0.0.44") -> Job:
    """Read one v0.0.40-v0.0.44 ``/slurm/vX/job(s)`` record (slurmctld's view, Slurm 23.11+)."""
    # Slurm 23.11 (v0.0.40): job_state a list; times {set, infinite, number} structs; exit_code
    # a struct {status: [...], return_code: {struct}, signal: {id: {struct}, name}}.
    return _read_live_job(record, api_version, decode_exit_struct)


def _accounting_exit_v0038(state: str, value: object) -> tuple[int | None, int | None]:
    # Slurm 22.05's slurmdbd reports {"status": "SUCCESS", "return_code": 0} for every normal
    # exit, exit 3 included (NOTES.md, _dump_job_exit_code): 0 is only right for COMPLETED.
    exit_code, signal_number = decode_exit_struct(value)
    if signal_number is None and state != "COMPLETED":
        return None, None
    return exit_code, signal_number


def _accounting_exit(state: str, value: object) -> tuple[int | None, int | None]:
    exit_code, signal_number = decode_exit_struct(value)
    # slurmdbd records SUCCESS/0 for a job cancelled while running, where slurmctld reports
    # SIGNALED/TERM (25.11, REST-25.11.md): the exit code of a cancelled job is unknown.
    if state == "CANCELLED" and signal_number is None:
        return None, None
    return exit_code, signal_number


def _read_accounting_job(record: Mapping[str, Any], v0038: bool) -> Job:
    state_block = _mapping(record.get("state"))
    state = _state_word(state_block.get("current"))
    times = _mapping(record.get("time"))
    decode = _accounting_exit_v0038 if v0038 else _accounting_exit
    array = _mapping(record.get("array"))
    details = _Details(
        # A plain int in 22.05; a struct from Slurm 23.11 (v0.0.40).
        time_limit=times.get("limit"),
        nodes=record.get("nodes"),
        # Slurm 24.05 (v0.0.41) adds stdout/stderr (the patterns) and their expansions;
        # 22.05 and 23.11 record no output paths.
        output=record.get("stdout"),
        error=record.get("stderr"),
        output_path=record.get("stdout_expanded"),
        error_path=record.get("stderr_expanded"),
        working_directory=record.get("working_directory"),
        # comment is {administrator, job, system} in every version: the job's own is "job".
        comment=_mapping(record.get("comment")).get("job"),
        array_job_id=array.get("job_id"),
        # An int or null in 22.05; a struct from 23.11 (v0.0.40).
        array_task_id=array.get("task_id"),
    )
    return _job(
        record,
        user=record.get("user"),
        state=state,
        reason=state_block.get("reason"),
        # Plain ints in every version so far (v0.0.44 documents time strings too: those read
        # as unknown rather than fail).
        times=(times.get("submission"), times.get("start"), times.get("end")),
        exit_status=decode(state, record.get("exit_code")),
        source="accounting",
        details=details,
    )


def read_accounting_job_v0038(record: Mapping[str, Any]) -> Job:
    """Read one v0.0.38 ``/slurmdb/v0.0.38/job(s)`` record (slurmdbd's view, Slurm 22.05)."""
    return _read_accounting_job(record, v0038=True)


def read_accounting_job_v0040(record: Mapping[str, Any]) -> Job:
    """Read one v0.0.40-v0.0.44 ``/slurmdb/vX/job(s)`` record (slurmdbd's view, Slurm 23.11+)."""
    # Slurm 23.11 (v0.0.40): state.current a list; exit_code the verbose struct, whose
    # return_code is right (exit 3 -> 3, checked on 25.11). time.* stay plain ints.
    return _read_accounting_job(record, v0038=False)


def _for_version(
    api_version: str, v0038: Callable[..., T], v0040: Callable[..., T]
) -> Callable[..., T]:
    """The reader for ``api_version``: Slurm 22.05's, or the one for 23.11 and later."""
    check_api_version(api_version)
    return v0038 if api_version == "v0.0.38" else v0040


def read_live_job(api_version: str, record: Mapping[str, Any]) -> Job:
    """Read one live job record of ``api_version`` into hpcapi's Job."""
    check_api_version(api_version)
    if api_version == "v0.0.38":
        return read_live_job_v0038(record)
    return read_live_job_v0040(record, api_version)


def read_accounting_job(api_version: str, record: Mapping[str, Any]) -> Job:
    """Read one accounting job record of ``api_version`` into hpcapi's Job."""
    return _for_version(api_version, read_accounting_job_v0038, read_accounting_job_v0040)(record)


# --- partitions ---------------------------------------------------------------------------------

def read_partition_v0038(record: Mapping[str, Any]) -> Partition:
    """Read one v0.0.38 ``/slurm/v0.0.38/partitions`` record (Slurm 22.05)."""
    # _dump_part() in src/plugins/openapi/v0.0.38/partitions.c: flat keys; flags a list of
    # lower-case words ("default", "hidden", ...); INFINITE limits as -1; an INFINITE
    # default_time_limit leaks out as 4294967295; an unset one is null.
    flags = record.get("flags")
    words = (
        {flag.lower() for flag in flags if isinstance(flag, str)}
        if isinstance(flags, list)
        else set()
    )
    return Partition(
        name=_text(record.get("name")),
        default="default" in words,
        state=_text(record.get("state")).upper() or "UNKNOWN",
        max_time=_count(record.get("max_time_limit")),
        default_time=_count(record.get("default_time_limit")),
        max_nodes=_count(record.get("maximum_nodes_per_job")),
        total_nodes=_count(record.get("total_nodes")),
        total_cpus=_count(record.get("total_cpus")),
    )


def read_partition_v0040(record: Mapping[str, Any]) -> Partition:
    """Read one v0.0.40-v0.0.44 ``/slurm/vX/partitions/`` record (Slurm 23.11+)."""
    # Slurm 23.11 (v0.0.40): nested objects; limits are {set, infinite, number} structs; the
    # state a list. The data parser skips the partition flags ("add_skip(flags), //FIXME" in
    # src/plugins/data_parser/v0.0.4x/parsers.c, still so in 25.11), so no record says which
    # partition is the default (seen on a real 25.11.7, v0.0.41 to v0.0.44): ``default`` is
    # unknown, None, never a guess.
    state = record.get("partition")
    states = _mapping(state).get("state")
    words = (
        [word.upper() for word in states if isinstance(word, str)]
        if isinstance(states, list)
        else []
    )
    maximums = _mapping(record.get("maximums"))
    return Partition(
        name=_text(record.get("name")),
        default=None,
        state=words[0] if words else "UNKNOWN",
        max_time=_count(maximums.get("time")),
        default_time=_count(_mapping(record.get("defaults")).get("time")),
        max_nodes=_count(maximums.get("nodes")),
        total_nodes=_count(_mapping(record.get("nodes")).get("total")),
        total_cpus=_count(_mapping(record.get("cpus")).get("total")),
    )


def read_partition(api_version: str, record: Mapping[str, Any]) -> Partition:
    """Read one partition record of ``api_version`` into hpcapi's Partition."""
    return _for_version(api_version, read_partition_v0038, read_partition_v0040)(record)


# --- nodes ---------------------------------------------------------------------------------------

def read_node(api_version: str, record: Mapping[str, Any]) -> Node:
    """Read one ``/slurm/vX/nodes`` record: name, memory, partitions, state, CPUs, features,
    generic resources and the administrator's reason."""
    check_api_version(api_version)
    memory = record.get("real_memory")
    valid = isinstance(memory, int) and not isinstance(memory, bool) and memory > 0
    name = record.get("name")
    # Slurm 22.05 gives state "idle" and its flags apart (state_flags ["DRAIN"]); 23.11+ one
    # list, base state first (["IDLE", "DRAIN"]).
    state = [*_words(record.get("state")), *_words(record.get("state_flags"))]
    return Node(
        name=name if isinstance(name, str) else "",
        real_memory=memory if valid else None,
        # Slurm 22.05 lists partitions as an array; 23.11+ as a csv_string.
        partitions=_words(record.get("partitions"), upper=False),
        state=tuple(state),
        cpus=_count(record.get("cpus")),
        features=_words(record.get("features"), upper=False),
        gres=_text(record.get("gres")),
        reason=_optional_text(record.get("reason")),
    )


def _words(value: object, upper: bool = True) -> tuple[str, ...]:
    """A list of strings, or a comma-separated one (22.05 features "a,b"; the specs type 23.11+
    csv_strings as arrays, which older data parsers may render as "a,b")."""
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    words = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    return tuple(word.upper() if upper else word for word in words)
