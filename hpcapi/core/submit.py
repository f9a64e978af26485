"""Validation of an FRCE-style job-submission request into a normalized ``SubmitRequest``.

The JSON Schema below describes the request's shape (which keys, which JSON types); plain code
then says what a schema cannot: Slurm's own syntaxes, decimal strings as numbers, the
partition allow-list, and which error code wins when several things are wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from jsonschema import Draft202012Validator

from hpcapi.core.script import check_script, strip_sbatch_lines
from hpcapi.core.slurmsyntax import (
    Dependency,
    parse_dependency,
    parse_memory,
    parse_time_limit,
    quote_value,
)
from hpcapi.errors import ErrorCode, HpcapiError

MAX_TASKS = 100_000
# tasks_per_node, tasks_per_core and cpus_per_task are uint16 in job_desc_msg_t; slurmrestd
# stores the parsed int there unchecked, so 65537 would quietly become 1. 0xfffe and 0xffff
# are Slurm's NO_VAL16/INFINITE16 markers.
MAX_PER_UNIT = 0xFFFD
MAX_JOB_NAME_LENGTH = 200

FIELDS: Final = (
    "script-body",
    "partition",
    "ntasks",
    "ntasks-per-core",
    "ntasks-per-node",
    "cpus-per-task",
    "mem-per-cpu",
    "mem-per-node",
    "dependency",
    "timelimit",
    "job-name",
)

# JSON null for an optional field means "not given": some clients send every key.
_COUNT_SHAPE = {"type": ["integer", "string", "null"]}
_SIZE_SHAPE = {"type": ["integer", "string", "null"]}
_TEXT_SHAPE = {"type": ["string", "null"]}

REQUEST_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["script-body", "partition"],
    "additionalProperties": False,
    "properties": {
        "script-body": _TEXT_SHAPE,
        "partition": _TEXT_SHAPE,
        "ntasks": _COUNT_SHAPE,
        "ntasks-per-core": {"enum": [1, 2, "1", "2", None]},
        "ntasks-per-node": _COUNT_SHAPE,
        "cpus-per-task": _COUNT_SHAPE,
        "mem-per-cpu": _SIZE_SHAPE,
        "mem-per-node": _SIZE_SHAPE,
        "dependency": _TEXT_SHAPE,
        "timelimit": _SIZE_SHAPE,
        "job-name": {"type": ["string", "null"], "maxLength": MAX_JOB_NAME_LENGTH},
    },
}
Draft202012Validator.check_schema(REQUEST_SCHEMA)
# Compiled once; validators are immutable and safe to share between requests and threads.
_VALIDATOR: Final = Draft202012Validator(REQUEST_SCHEMA)

# The code a shape failure of each field is answered with.
_SHAPE_CODES: Final[Mapping[str, ErrorCode]] = {
    "script-body": ErrorCode.BAD_SCRIPT,
    "partition": ErrorCode.BAD_PARTITION,
    "ntasks": ErrorCode.BAD_NUMBER_OF_TASKS,
    "ntasks-per-core": ErrorCode.BAD_NUMBER_OF_TASKS,
    "ntasks-per-node": ErrorCode.BAD_NUMBER_OF_TASKS,
    "cpus-per-task": ErrorCode.BAD_CPUS_PER_TASK,
    "mem-per-cpu": ErrorCode.BAD_MEMORY_SPEC,
    "mem-per-node": ErrorCode.BAD_MEMORY_SPEC,
    "dependency": ErrorCode.BAD_DEPENDENCY,
    "timelimit": ErrorCode.BAD_TIMELIMIT,
    "job-name": ErrorCode.BAD_PARAMETER,
}
_SHAPE_HINTS: Final[Mapping[str, str]] = {
    "script-body": "must be a string",
    "partition": "must be a string",
    "ntasks": "must be a positive whole number",
    "ntasks-per-core": "must be 1 or 2",
    "ntasks-per-node": "must be a positive whole number",
    "cpus-per-task": "must be a positive whole number",
    "mem-per-cpu": "must be a memory size such as 4096 or 4G",
    "mem-per-node": "must be a memory size such as 4096 or 4G",
    "dependency": "must be a string such as afterok:123",
    "timelimit": "must be minutes or a Slurm time such as 1-12:00:00",
    "job-name": f"must be a string of at most {MAX_JOB_NAME_LENGTH} characters",
}

_DECIMAL = re.compile(r"[0-9]{1,9}")
_CLAMP = 2**63

T = TypeVar("T")


@dataclass(frozen=True)
class SubmitPolicy:
    """Site rules applied to every submission."""

    allowed_partitions: tuple[str, ...]


@dataclass(frozen=True)
class SubmitRequest:
    """A validated, normalized job submission; optional fields are None when not given."""

    script: str
    sbatch_lines_removed: int
    partition: str
    ntasks: int | None = None
    ntasks_per_core: int | None = None
    ntasks_per_node: int | None = None
    cpus_per_task: int | None = None
    mem_per_cpu_mb: int | None = None
    mem_per_node_mb: int | None = None
    dependency: Dependency | None = None
    time_limit_minutes: int | None = None
    job_name: str | None = None


def _shape_view(body: dict[Any, Any]) -> dict[Any, Any]:
    """The body as the schema needs to see it: each value's JSON type, not its bulk."""
    # The schema checks only the type (and for strings the length) of each top-level value,
    # but jsonschema puts repr(instance) into every error message: repr() raises ValueError
    # for ints over 4300 digits and is slow for big containers. Emptied containers and
    # clamped ints keep every type and enum verdict the same.
    view: dict[Any, Any] = {}
    for key, value in body.items():
        if isinstance(value, list | dict):
            view[key] = type(value)()
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _CLAMP:
            view[key] = _CLAMP if value > 0 else -_CLAMP
        else:
            view[key] = value
    return view


def _shape_failures(body: dict[Any, Any]) -> tuple[set[str], bool]:
    """Fields whose JSON shape is wrong, and whether any key is unknown."""
    failed: set[str] = set()
    unknown = False
    for error in _VALIDATOR.iter_errors(_shape_view(body)):
        if error.validator == "additionalProperties":
            unknown = True
        elif error.path:
            failed.add(str(error.path[0]))
        # "required" failures are answered by the missing-field checks below.
    return failed, unknown


def _parse_count(key: str, value: object, code: ErrorCode, maximum: int) -> int:
    """A positive whole number given as a JSON integer or a decimal string."""
    # bool is a subclass of int in Python; JSON true is not a number.
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = int(value)
    else:
        raise HpcapiError(code, f"{key} must be a positive whole number, got {quote_value(value)}")
    if not 1 <= number <= maximum:
        raise HpcapiError(code, f"{key} must be between 1 and {maximum}, got {quote_value(value)}")
    return number


def _parse_tasks_per_core(key: str, value: object) -> int:
    """ntasks-per-core: 1 or 2, as a JSON integer or a string."""
    number = _parse_count(key, value, ErrorCode.BAD_NUMBER_OF_TASKS, MAX_PER_UNIT)
    if number not in (1, 2):
        raise HpcapiError(ErrorCode.BAD_NUMBER_OF_TASKS, f"{key} must be 1 or 2, got {number}")
    return number


def _parse_job_name(key: str, value: object) -> str:
    """A Slurm job name: non-empty printable text on one line, at most 200 characters."""
    code = ErrorCode.BAD_PARAMETER
    if not isinstance(value, str) or not value.strip():
        raise HpcapiError(code, f"{key} must be a non-empty string")
    if len(value) > MAX_JOB_NAME_LENGTH:
        raise HpcapiError(code, f"{key} must be at most {MAX_JOB_NAME_LENGTH} characters")
    # isprintable() is False for newlines, tabs, other controls and lone surrogates.
    if not value.isprintable():
        raise HpcapiError(code, f"{key} must be printable text without newlines or tabs")
    return value


def _slurm_value(key: str, value: object, parse: Callable[[Any], T]) -> T:
    """Run a slurmsyntax parser, refusing JSON types it does not take and naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise HpcapiError(_SHAPE_CODES[key], f"{key} {_SHAPE_HINTS[key]}, got {quote_value(value)}")
    try:
        return parse(value)
    except HpcapiError as error:
        # The parsers speak of "memory" or "timelimit"; name the request's own key.
        raise HpcapiError(error.code, f"{key}: {error.message}") from None


def parse_submit_request(body: object, policy: SubmitPolicy) -> SubmitRequest:
    """Validate an FRCE job-submission body and return it normalized, or raise HpcapiError."""
    if not isinstance(body, dict):
        raise HpcapiError(ErrorCode.POSTDATA_PARSE_ERROR, "the request body must be a JSON object")
    failed, unknown = _shape_failures(body)
    if unknown:
        names = sorted(str(key) for key in body if key not in FIELDS)
        raise HpcapiError(
            ErrorCode.UNKNOWN_PARAMETER,
            f"unknown parameter(s): {', '.join(quote_value(name) for name in names)}",
        )

    def given(key: str) -> object:
        """The value of an optional field, None when absent or null; shape failures raise."""
        value = body.get(key)
        if value is not None and key in failed:
            # Never echo script content, not even a mistyped one.
            shown = type(value).__name__ if key == "script-body" else quote_value(value)
            raise HpcapiError(_SHAPE_CODES[key], f"{key} {_SHAPE_HINTS[key]}, got {shown}")
        return value

    # Precedence follows the order of the checks below: the first failing one is answered.
    raw_script = body.get("script-body")
    if raw_script is None or (isinstance(raw_script, str) and not raw_script.strip()):
        raise HpcapiError(ErrorCode.NO_SCRIPT_GIVEN, "script-body is missing or empty")
    script, removed = strip_sbatch_lines(check_script(given("script-body")))

    partition = body.get("partition")
    if partition is None or (isinstance(partition, str) and not partition.strip()):
        raise HpcapiError(ErrorCode.NO_PARTITION_GIVEN, "partition is missing or empty")
    partition = given("partition")
    if not isinstance(partition, str) or partition not in policy.allowed_partitions:
        allowed = ", ".join(policy.allowed_partitions) or "(none)"
        raise HpcapiError(
            ErrorCode.BAD_PARTITION,
            f"partition {quote_value(partition)} is not allowed; allowed: {allowed}",
        )

    tasks = ErrorCode.BAD_NUMBER_OF_TASKS
    ntasks = _optional(given("ntasks"), lambda v: _parse_count("ntasks", v, tasks, MAX_TASKS))
    ntasks_per_node = _optional(
        given("ntasks-per-node"),
        lambda v: _parse_count("ntasks-per-node", v, tasks, MAX_PER_UNIT),
    )
    ntasks_per_core = _optional(
        given("ntasks-per-core"), lambda v: _parse_tasks_per_core("ntasks-per-core", v)
    )
    cpus_per_task = _optional(
        given("cpus-per-task"),
        lambda v: _parse_count("cpus-per-task", v, ErrorCode.BAD_CPUS_PER_TASK, MAX_PER_UNIT),
    )

    if body.get("mem-per-cpu") is not None and body.get("mem-per-node") is not None:
        # sbatch refuses the pair; slurmrestd 22.05 silently keeps the last key instead.
        raise HpcapiError(
            ErrorCode.CONFLICTING_MEM_SPECIFICATIONS,
            "give either mem-per-cpu or mem-per-node, not both",
        )
    mem_per_cpu = _optional(
        given("mem-per-cpu"), lambda v: _slurm_value("mem-per-cpu", v, parse_memory)
    )
    mem_per_node = _optional(
        given("mem-per-node"), lambda v: _slurm_value("mem-per-node", v, parse_memory)
    )
    time_limit = _optional(
        given("timelimit"), lambda v: _slurm_value("timelimit", v, parse_time_limit)
    )
    dependency = _optional(
        given("dependency"), lambda v: _slurm_value("dependency", v, parse_dependency)
    )
    job_name = _optional(given("job-name"), lambda v: _parse_job_name("job-name", v))

    return SubmitRequest(
        script=script,
        sbatch_lines_removed=removed,
        partition=partition,
        ntasks=ntasks,
        ntasks_per_core=ntasks_per_core,
        ntasks_per_node=ntasks_per_node,
        cpus_per_task=cpus_per_task,
        mem_per_cpu_mb=mem_per_cpu,
        mem_per_node_mb=mem_per_node,
        dependency=dependency,
        time_limit_minutes=time_limit,
        job_name=job_name,
    )


def _optional(value: object, parse: Callable[[object], T]) -> T | None:
    """None for an absent field, else the parsed value."""
    return None if value is None else parse(value)
