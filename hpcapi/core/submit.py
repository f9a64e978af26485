"""Validation of an FRCE-style job-submission request into a normalized ``SubmitRequest``.

The JSON Schema below describes the request's shape (which keys, which JSON types); plain code
then says what a schema cannot: Slurm's own syntaxes, decimal strings as numbers, the
partition allow-list, and which error code wins when several things are wrong.

Beyond FRCE's fields, hpcapi takes account, qos, nodes, array, constraint, gres, output, error,
working-directory, mail-type, mail-user, begin, hold, export and more sbatch options (exclusive
to sockets-per-node in FIELDS); their failures answer BAD_PARAMETER (nodes x ntasks-per-node too
large answers BAD_NUMBER_OF_TASKS, mem-per-gpu beside another memory size
CONFLICTING_MEM_SPECIFICATIONS). "partition" may be a comma list of allowed partitions.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, TypeVar

from jsonschema import Draft202012Validator

from hpcapi.core.script import check_script
from hpcapi.core.slurmsyntax import (
    MAX_SEGMENT_SIZE,
    BeginTime,
    Dependency,
    Distribution,
    MemoryBinding,
    SignalSpec,
    SwitchRequest,
    TresPerTask,
    parse_acctg_freq,
    parse_array_spec,
    parse_begin,
    parse_constraint,
    parse_cpu_freq,
    parse_delay_boot,
    parse_dependency,
    parse_distribution,
    parse_exclusive,
    parse_extra_node_info,
    parse_gpu_bind,
    parse_gpu_count,
    parse_gpu_freq,
    parse_gres,
    parse_gres_flags,
    parse_hint,
    parse_hostlist,
    parse_licenses,
    parse_mail_types,
    parse_mem_bind,
    parse_memory,
    parse_nice,
    parse_node_count,
    parse_oom_kill_step,
    parse_open_mode,
    parse_priority,
    parse_profile,
    parse_signal,
    parse_switches,
    parse_text_line,
    parse_time_limit,
    parse_time_minimum,
    parse_tres_bind,
    parse_tres_per_task,
    parse_yes_no,
    quote_value,
)
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.protocol import strip_sbatch_lines

MAX_TASKS = 100_000
# tasks_per_node, tasks_per_core and cpus_per_task are uint16 in job_desc_msg_t; slurmrestd
# stores the parsed int there unchecked, so 65537 would quietly become 1. 0xfffe and 0xffff
# are Slurm's NO_VAL16/INFINITE16 markers.
MAX_PER_UNIT = 0xFFFD
MAX_JOB_NAME_LENGTH = 200
MAX_NAME_LENGTH = 64
MAX_PATH_LENGTH = 1024
MAX_SPEC_LENGTH = 1024
MAX_MAIL_USER_LENGTH = 254
MAX_EXPORT_ENTRIES = 64
MAX_EXPORT_VALUE_LENGTH = 4096
MAX_SCRIPT_ARGUMENTS = 256
MAX_SCRIPT_ARGUMENT_LENGTH = 4096
# Variables an export may not set: they say who the job runs as (HOME, USER, LOGNAME), or they
# are Slurm's own (SLURM_*), which hpcapi sets as sbatch would.
REFUSED_EXPORT_NAMES = frozenset({"HOME", "USER", "LOGNAME"})
REFUSED_EXPORT_PREFIX = "SLURM_"

# core_spec is a uint16 of job_desc_msg_t whose top bit marks a thread count (CORE_SPEC_THREAD).
MAX_SPECIALIZED = 0x7FFF


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
    "account",
    "qos",
    "nodes",
    "array",
    "constraint",
    "gres",
    "output",
    "error",
    "working-directory",
    "mail-type",
    "mail-user",
    "begin",
    "hold",
    "export",
    # More sbatch options, each under sbatch's long option name.
    "exclusive",
    "requeue",
    "signal",
    "open-mode",
    "nice",
    "time-min",
    "input",
    "mincpus",
    "tmp",
    "hint",
    "gpus",
    "gpus-per-node",
    "gpus-per-task",
    "cpus-per-gpu",
    "mem-per-gpu",
    "reservation",
    "nodelist",
    "exclude",
    "licenses",
    "wckey",
    "threads-per-core",
    "cores-per-socket",
    "sockets-per-node",
    "ntasks-per-socket",
    "no-kill",
    "wait-all-nodes",
    "overcommit",
    "contiguous",
    "delay-boot",
    "reboot",
    "oom-kill-step",
    "prefer",
    "mcs-label",
    "acctg-freq",
    "cpu-freq",
    "core-spec",
    "thread-spec",
    "deadline",
    "spread-job",
    "kill-on-invalid-dep",
    "use-min-nodes",
    "extra",
    "gres-flags",
    "distribution",
    "oversubscribe",
    "batch",
    "bb",
    "cluster-constraint",
    "container",
    "container-id",
    "network",
    "mem-bind",
    "priority",
    "profile",
    "switches",
    "stepmgr",
    "segment",
    "spread-segments",
    "consolidate-segments",
    "gpus-per-socket",
    "gpu-bind",
    "gpu-freq",
    "ntasks-per-gpu",
    "ntasks-per-tres",
    "tres-bind",
    "tres-per-task",
    "extra-node-info",
    # The words after the script on sbatch's command line: the script's $1, $2, ...
    "script-arguments",
    # Where the submitting command ran and the script it read, as sbatch tells slurmctld: they
    # change only SLURM_SUBMIT_DIR and the job's Command (scontrol), never what the job can do.
    "submit-directory",
    "script-path",
)

# JSON null for an optional field means "not given": some clients send every key.
_COUNT_SHAPE = {"type": ["integer", "string", "null"]}
_SIZE_SHAPE = {"type": ["integer", "string", "null"]}
_TEXT_SHAPE = {"type": ["string", "null"]}
_NAME_SHAPE = {"type": ["string", "null"], "maxLength": MAX_NAME_LENGTH}
_PATH_SHAPE = {"type": ["string", "null"], "maxLength": MAX_PATH_LENGTH}
_SPEC_SHAPE = {"type": ["string", "null"], "maxLength": MAX_SPEC_LENGTH}

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
        "account": _NAME_SHAPE,
        "qos": _NAME_SHAPE,
        "nodes": _COUNT_SHAPE,
        "array": _SPEC_SHAPE,
        "constraint": _SPEC_SHAPE,
        "gres": _SPEC_SHAPE,
        "output": _PATH_SHAPE,
        "error": _PATH_SHAPE,
        "working-directory": _PATH_SHAPE,
        "mail-type": _SPEC_SHAPE,
        "mail-user": {"type": ["string", "null"], "maxLength": MAX_MAIL_USER_LENGTH},
        "begin": {"type": ["string", "null"], "maxLength": 64},
        "hold": {"type": ["boolean", "null"]},
        # Only the type: _shape_view empties containers; the entries are checked in code.
        "export": {"type": ["object", "null"]},
        "exclusive": {"type": ["boolean", "string", "null"], "maxLength": 16},
        "requeue": {"type": ["boolean", "null"]},
        "signal": {"type": ["string", "null"], "maxLength": 64},
        "open-mode": {"type": ["string", "null"], "maxLength": 16},
        "nice": _COUNT_SHAPE,
        "time-min": _SIZE_SHAPE,
        "input": _PATH_SHAPE,
        "mincpus": _COUNT_SHAPE,
        "tmp": _SIZE_SHAPE,
        "hint": _SPEC_SHAPE,
        "gpus": _COUNT_SHAPE,
        "gpus-per-node": _COUNT_SHAPE,
        "gpus-per-task": _COUNT_SHAPE,
        "cpus-per-gpu": _COUNT_SHAPE,
        "mem-per-gpu": _SIZE_SHAPE,
        "reservation": _NAME_SHAPE,
        "nodelist": _SPEC_SHAPE,
        "exclude": _SPEC_SHAPE,
        "licenses": _SPEC_SHAPE,
        "wckey": _NAME_SHAPE,
        "threads-per-core": _COUNT_SHAPE,
        "cores-per-socket": _COUNT_SHAPE,
        "sockets-per-node": _COUNT_SHAPE,
        "ntasks-per-socket": _COUNT_SHAPE,
        "no-kill": {"type": ["boolean", "null"]},
        "wait-all-nodes": {"type": ["boolean", "integer", "string", "null"]},
        "overcommit": {"type": ["boolean", "null"]},
        "contiguous": {"type": ["boolean", "null"]},
        "delay-boot": _SIZE_SHAPE,
        "reboot": {"type": ["boolean", "null"]},
        "oom-kill-step": {"type": ["boolean", "integer", "string", "null"]},
        "prefer": _SPEC_SHAPE,
        "mcs-label": _NAME_SHAPE,
        "acctg-freq": _SPEC_SHAPE,
        "cpu-freq": _SPEC_SHAPE,
        "core-spec": _COUNT_SHAPE,
        "thread-spec": _COUNT_SHAPE,
        "deadline": {"type": ["string", "null"], "maxLength": 64},
        "spread-job": {"type": ["boolean", "null"]},
        "kill-on-invalid-dep": {"type": ["boolean", "string", "null"]},
        "use-min-nodes": {"type": ["boolean", "null"]},
        "extra": _SPEC_SHAPE,
        "gres-flags": _SPEC_SHAPE,
        "distribution": _SPEC_SHAPE,
        "oversubscribe": {"type": ["boolean", "null"]},
        **{key: _SPEC_SHAPE for key in ("batch", "bb", "cluster-constraint", "network")},
        "container": _PATH_SHAPE,
        "container-id": _NAME_SHAPE,
        "mem-bind": _SPEC_SHAPE,
        "priority": _COUNT_SHAPE,
        "profile": _SPEC_SHAPE,
        "switches": _COUNT_SHAPE,
        "stepmgr": {"type": ["boolean", "null"]},
        "segment": _COUNT_SHAPE,
        "spread-segments": {"type": ["boolean", "null"]},
        "consolidate-segments": {"type": ["boolean", "null"]},
        "gpus-per-socket": _COUNT_SHAPE,
        "gpu-bind": _SPEC_SHAPE,
        "gpu-freq": _SPEC_SHAPE,
        "ntasks-per-gpu": _COUNT_SHAPE,
        "ntasks-per-tres": _COUNT_SHAPE,
        "tres-bind": _SPEC_SHAPE,
        "tres-per-task": _SPEC_SHAPE,
        "extra-node-info": _SPEC_SHAPE,
        "script-arguments": {"type": ["array", "null"], "items": {"type": "string"},
                             "maxItems": MAX_SCRIPT_ARGUMENTS},
        "submit-directory": _PATH_SHAPE,
        "script-path": _PATH_SHAPE,
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
    **{key: ErrorCode.BAD_PARAMETER for key in FIELDS[FIELDS.index("account") :]},
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
    "account": f"must be a Slurm name of at most {MAX_NAME_LENGTH} characters",
    "qos": f"must be a Slurm name of at most {MAX_NAME_LENGTH} characters",
    "nodes": "must be a node count N or a range MIN-MAX",
    "array": f"must be an array spec such as 0-15%4, at most {MAX_SPEC_LENGTH} characters",
    "constraint": f"must be a feature expression of at most {MAX_SPEC_LENGTH} characters",
    "gres": f"must be a GRES list such as gpu:2, at most {MAX_SPEC_LENGTH} characters",
    "output": f"must be a file name pattern of at most {MAX_PATH_LENGTH} characters",
    "error": f"must be a file name pattern of at most {MAX_PATH_LENGTH} characters",
    "working-directory": f"must be an absolute path of at most {MAX_PATH_LENGTH} characters",
    "mail-type": "must be a comma list such as BEGIN,END",
    "mail-user": "must be an e-mail address or a user name",
    "begin": "must be YYYY-MM-DD[THH:MM[:SS]] or now+N[unit]",
    "hold": "must be true or false",
    "export": "must be an object of NAME: value strings",
    "exclusive": "must be true, user, mcs or topo",
    "requeue": "must be true or false",
    "signal": "must be [{R|B}:]<sig_num|sig_name>[@sig_time], e.g. B:USR1@300",
    "open-mode": "must be append or truncate",
    "nice": "must be a whole number",
    "time-min": "must be minutes or a Slurm time such as 1-12:00:00",
    "input": f"must be a file name pattern of at most {MAX_PATH_LENGTH} characters",
    "mincpus": "must be a positive whole number",
    "tmp": "must be a size such as 4096 or 4G",
    "hint": "must be a comma list such as compute_bound or nomultithread",
    "gpus": "must be a GPU count N or TYPE:N",
    "gpus-per-node": "must be a GPU count N or TYPE:N",
    "gpus-per-task": "must be a GPU count N or TYPE:N",
    "cpus-per-gpu": "must be a positive whole number",
    "mem-per-gpu": "must be a memory size such as 4096 or 4G",
    "reservation": f"must be a Slurm name of at most {MAX_NAME_LENGTH} characters",
    "nodelist": f"must be a host list of at most {MAX_SPEC_LENGTH} characters",
    "exclude": f"must be a host list of at most {MAX_SPEC_LENGTH} characters",
    "licenses": f"must be a license list of at most {MAX_SPEC_LENGTH} characters",
    "wckey": f"must be a Slurm name of at most {MAX_NAME_LENGTH} characters",
    "threads-per-core": "must be a positive whole number",
    "cores-per-socket": "must be a positive whole number",
    "sockets-per-node": "must be a positive whole number",
    "ntasks-per-socket": "must be a positive whole number",
    "no-kill": "must be true or false",
    "wait-all-nodes": "must be 0 or 1 (or false or true)",
    "overcommit": "must be true or false",
    "contiguous": "must be true or false",
    "delay-boot": "must be minutes or a Slurm time such as 10:00",
    "reboot": "must be true or false",
    "oom-kill-step": "must be 0 or 1 (or false or true)",
    "prefer": f"must be a feature expression of at most {MAX_SPEC_LENGTH} characters",
    "mcs-label": f"must be a Slurm name of at most {MAX_NAME_LENGTH} characters",
    "acctg-freq": "must be seconds N or a list such as task=30,energy=60",
    "cpu-freq": "must be FREQ[-FREQ][:GOVERNOR] or GOVERNOR",
    "core-spec": f"must be a whole number from 0 to {MAX_SPECIALIZED}",
    "thread-spec": f"must be a whole number from 0 to {MAX_SPECIALIZED}",
    "deadline": "must be a Slurm time such as 16:00, tomorrow or YYYY-MM-DDTHH:MM",
    "spread-job": "must be true or false",
    "kill-on-invalid-dep": "must be yes or no (or true or false)",
    "use-min-nodes": "must be true or false",
    "extra": f"must be one line of text of at most {MAX_SPEC_LENGTH} characters",
    "gres-flags": "must be enforce-binding or disable-binding",
    "distribution": "must be NODE[:SOCKET[:CORE]][,pack|nopack] or plane=N",
    "oversubscribe": "must be true or false",
    "batch": f"must be a feature expression of at most {MAX_SPEC_LENGTH} characters",
    "bb": f"must be one line of text of at most {MAX_SPEC_LENGTH} characters",
    "cluster-constraint": f"must be one line of text of at most {MAX_SPEC_LENGTH} characters",
    "container": f"must be an absolute path of at most {MAX_PATH_LENGTH} characters",
    "container-id": f"must be a Slurm name of at most {MAX_NAME_LENGTH} characters",
    "network": f"must be one line of text of at most {MAX_SPEC_LENGTH} characters",
    "mem-bind": "must be none, rank, local, map_mem:LIST or mask_mem:LIST[,verbose|quiet|prefer]",
    "priority": "must be a number from 0, or TOP",
    "profile": "must be none, all or a list of energy, task, lustre, network",
    "switches": "must be COUNT[@MAX-TIME]",
    "stepmgr": "must be true or false",
    "segment": f"must be a whole number from 1 to {MAX_SEGMENT_SIZE}",
    "spread-segments": "must be true or false",
    "consolidate-segments": "must be true or false",
    "gpus-per-socket": "must be a GPU count N or TYPE:N",
    "gpu-bind": "must be [verbose,]closest, none, map_gpu:L, mask_gpu:L, per_task:N or single:N",
    "gpu-freq": "must be FREQ[,memory=FREQ][,verbose]",
    "ntasks-per-gpu": f"must be a whole number from 1 to {MAX_PER_UNIT}",
    "ntasks-per-tres": f"must be a whole number from 1 to {MAX_PER_UNIT}",
    "tres-bind": "must be gres/NAME:BINDING[+gres/NAME:BINDING]",
    "tres-per-task": "must be cpu=N and gres/gpu[:TYPE]=N entries",
    "extra-node-info": "must be SOCKETS[:CORES[:THREADS]]",
    "script-arguments": f"must be a list of at most {MAX_SCRIPT_ARGUMENTS} strings",
    "submit-directory": f"must be an absolute path of at most {MAX_PATH_LENGTH} characters",
    "script-path": f"must be a path of at most {MAX_PATH_LENGTH} characters",
}

_DECIMAL = re.compile(r"[0-9]{1,9}")
_CLAMP = 2**63

T = TypeVar("T")


# The fields a site may require or give a default ([submit] required_fields and defaults):
# every field but the two every job gives itself.
SITE_POLICY_FIELDS: Final = tuple(name for name in FIELDS if name not in ("script-body",
                                                                           "partition"))
# A default is not applied beside a field it is mutually exclusive with.
_EXCLUSIVE: Final[Mapping[str, frozenset[str]]] = {
    name: frozenset({"mem-per-cpu", "mem-per-node", "mem-per-gpu"}) - {name}
    for name in ("mem-per-cpu", "mem-per-node", "mem-per-gpu")
}


@dataclass(frozen=True)
class SubmitPolicy:
    """Site rules applied to every submission."""

    allowed_partitions: tuple[str, ...]
    # Fields every job must carry, once the defaults are applied (required_field_missing).
    required_fields: tuple[str, ...] = ()
    # Field -> value for a request that gives none ([submit] defaults).
    defaults: Mapping[str, object] = dataclasses.field(default_factory=dict)


def with_site_defaults(body: Mapping[str, Any], policy: SubmitPolicy) -> dict[str, Any]:
    """``body`` with the site's default for each field it leaves out (absent or null), except
    beside a field the default would conflict with."""
    given = {name for name, value in body.items() if value is not None}
    merged = dict(body)
    for name, value in policy.defaults.items():
        if name not in given and not _EXCLUSIVE.get(name, frozenset()) & given:
            merged[name] = value
    return merged


def _check_required(body: Mapping[str, Any], policy: SubmitPolicy) -> None:
    missing = [name for name in policy.required_fields
               if body.get(name) is None or body.get(name) == ""]
    if missing:
        raise HpcapiError(ErrorCode.REQUIRED_FIELD_MISSING,
                          f"this site requires {', '.join(missing)} on every job")


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
    account: str | None = None
    qos: str | None = None
    nodes: tuple[int, int] | None = None  # (min, max); "4" is (4, 4)
    array: str | None = None
    constraint: str | None = None
    gres: str | None = None  # "gpu:1,gpu:tesla:2", without gres: prefixes
    output: str | None = None
    error: str | None = None
    working_directory: str | None = None
    mail_type: tuple[str, ...] | None = None  # Slurm 22.05 names, upper case
    mail_user: str | None = None
    begin: BeginTime | None = None
    hold: bool | None = None
    export: tuple[tuple[str, str], ...] | None = None  # (NAME, value) in the order given
    exclusive: str | None = None  # "exclusive" (--exclusive alone), "user", "mcs" or "topo"
    requeue: bool | None = None
    signal: SignalSpec | None = None
    open_mode: str | None = None  # "append" or "truncate"
    nice: int | None = None
    time_min_minutes: int | None = None
    input: str | None = None
    mincpus: int | None = None
    tmp_mb: int | None = None
    hint: tuple[str, ...] | None = None  # verify_hint() names, lower case
    gpus: str | None = None  # "[type:]N", per job
    gpus_per_node: str | None = None
    gpus_per_task: str | None = None
    cpus_per_gpu: int | None = None
    mem_per_gpu_mb: int | None = None
    reservation: str | None = None
    nodelist: tuple[str, ...] | None = None  # hostlist items, e.g. ("cn[01-04]", "gpu1")
    exclude: tuple[str, ...] | None = None
    licenses: str | None = None
    wckey: str | None = None
    threads_per_core: int | None = None
    cores_per_socket: int | None = None
    sockets_per_node: int | None = None
    ntasks_per_socket: int | None = None
    no_kill: bool | None = None  # True: the job survives a node's failure
    wait_all_nodes: bool | None = None
    overcommit: bool | None = None
    contiguous: bool | None = None
    delay_boot_seconds: int | None = None
    reboot: bool | None = None
    oom_kill_step: int | None = None  # 0 or 1
    prefer: str | None = None
    mcs_label: str | None = None
    acctg_freq: str | None = None
    cpu_freq: str | None = None
    core_spec: int | None = None
    thread_spec: int | None = None
    deadline: BeginTime | None = None
    spread_job: bool | None = None
    kill_on_invalid_dep: bool | None = None
    use_min_nodes: bool | None = None
    extra: str | None = None
    gres_flags: str | None = None
    distribution: Distribution | None = None
    oversubscribe: bool | None = None
    batch: str | None = None  # features of the node the batch script runs on
    bb: str | None = None  # burst buffer specification
    cluster_constraint: str | None = None
    container: str | None = None  # an OCI bundle's absolute path
    container_id: str | None = None
    network: str | None = None
    mem_bind: MemoryBinding | None = None
    priority: int | None = None
    profile: tuple[str, ...] | None = None  # ACCT_GATHER_PROFILE names, upper case
    switches: SwitchRequest | None = None
    stepmgr: bool | None = None
    segment: int | None = None
    spread_segments: bool | None = None
    consolidate_segments: bool | None = None
    gpus_per_socket: str | None = None
    gpu_bind: str | None = None
    gpu_freq: str | None = None
    ntasks_per_gpu: int | None = None
    ntasks_per_tres: int | None = None
    tres_bind: str | None = None
    tres_per_task: TresPerTask | None = None  # its counts are in cpus_per_task, gpus_per_task
    # sbatch -B: its counts are in sockets_per_node, cores_per_socket and threads_per_core;
    # given, sbatch derives a task count even without --nodes.
    extra_node_info: tuple[int | None, int | None, int | None] | None = None
    script_arguments: tuple[str, ...] | None = None
    submit_directory: str | None = None  # where the client ran: SLURM_SUBMIT_DIR
    script_path: str | None = None  # the script as the client read it: the job's Command


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


def _parse_specialized(key: str, value: object) -> int:
    """--core-spec or --thread-spec: a whole number of 0 or more (parse_int(..., false))."""
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value) == "0":
        return 0
    return _parse_count(key, value, ErrorCode.BAD_PARAMETER, MAX_SPECIALIZED)


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


_SLURM_NAME = re.compile(rf"[A-Za-z0-9_.-]{{1,{MAX_NAME_LENGTH}}}")
# Conservative: no leading "-" anywhere, since MailProg gets the address as an argument.
_MAIL_ADDRESS = re.compile(
    r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
_LOCAL_USER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")
_EXPORT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _parse_slurm_name(key: str, value: object) -> str:
    """An account or QOS name as Slurm spells them: [A-Za-z0-9_.-], 1 to 64 characters."""
    if not isinstance(value, str) or _SLURM_NAME.fullmatch(value) is None:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER,
            f"{key} must be 1 to {MAX_NAME_LENGTH} letters, digits, '_', '.' or '-',"
            f" got {quote_value(value)}",
        )
    return value


def _parse_path(key: str, value: object, absolute: bool = False) -> str:
    """A file name (pattern) Slurm opens as the user: one line of text, no NUL."""
    code = ErrorCode.BAD_PARAMETER
    if not isinstance(value, str) or not value:
        raise HpcapiError(code, f"{key} must be a non-empty string")
    if len(value) > MAX_PATH_LENGTH:
        raise HpcapiError(code, f"{key} must be at most {MAX_PATH_LENGTH} characters")
    if any(char in value for char in "\0\n\r"):
        raise HpcapiError(code, f"{key} must not contain NUL or line breaks")
    if absolute and not value.startswith("/"):
        raise HpcapiError(code, f"{key} must be an absolute path, got {quote_value(value)}")
    return value


def _parse_arguments(key: str, value: object) -> tuple[str, ...]:
    """The script's arguments: strings without NUL (execve() cannot pass one)."""
    code = ErrorCode.BAD_PARAMETER
    if not isinstance(value, list):
        raise HpcapiError(code, f"{key} must be a list of strings")
    if len(value) > MAX_SCRIPT_ARGUMENTS:
        raise HpcapiError(code, f"{key} may hold at most {MAX_SCRIPT_ARGUMENTS} arguments")
    for item in value:
        if not isinstance(item, str) or "\0" in item or len(item) > MAX_SCRIPT_ARGUMENT_LENGTH:
            raise HpcapiError(
                code, f"{key}: each argument must be a string of at most"
                f" {MAX_SCRIPT_ARGUMENT_LENGTH} characters without NUL, got {quote_value(item)}",
            )  # fmt: skip
    return tuple(value)


def _parse_wait_all_nodes(value: object) -> bool:
    """sbatch --wait-all-nodes=0|1 (arg_set_wait_all_nodes), or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and str(value).strip() in ("0", "1"):
        return str(value).strip() == "1"
    raise HpcapiError(
        ErrorCode.BAD_PARAMETER,
        f"wait-all-nodes must be 0 or 1 (or false or true), got {quote_value(value)}",
    )


def _parse_mail_user(key: str, value: object) -> str:
    """An e-mail address or a local user name."""
    if isinstance(value, str) and len(value) <= MAX_MAIL_USER_LENGTH:
        if _MAIL_ADDRESS.fullmatch(value) or _LOCAL_USER.fullmatch(value):
            return value
    raise HpcapiError(
        ErrorCode.BAD_PARAMETER,
        f"{key} must be an e-mail address or a user name, got {quote_value(value)}",
    )


def _parse_hold(key: str, value: object) -> bool:
    """JSON true or false only."""
    if not isinstance(value, bool):
        raise HpcapiError(ErrorCode.BAD_PARAMETER, f"{key} must be true or false")
    return value


def _parse_export(key: str, value: object) -> tuple[tuple[str, str], ...]:
    """Extra job environment variables: NAME -> string, never ones that change who runs."""
    code = ErrorCode.BAD_PARAMETER
    if not isinstance(value, dict):
        raise HpcapiError(code, f"{key} must be an object of NAME: value strings")
    if len(value) > MAX_EXPORT_ENTRIES:
        raise HpcapiError(code, f"{key} may set at most {MAX_EXPORT_ENTRIES} variables")
    entries: list[tuple[str, str]] = []
    for name, text in value.items():
        if not isinstance(name, str) or _EXPORT_NAME.fullmatch(name) is None:
            raise HpcapiError(
                code, f"{key}: {quote_value(name)} is not a variable name ([A-Za-z_][A-Za-z0-9_]*)"
            )
        if name in REFUSED_EXPORT_NAMES or name.startswith(REFUSED_EXPORT_PREFIX):
            raise HpcapiError(code, f"{key}: {name} may not be set through the API")
        if not isinstance(text, str):
            raise HpcapiError(code, f"{key}: the value of {name} must be a string")
        if len(text) > MAX_EXPORT_VALUE_LENGTH or "\0" in text:
            raise HpcapiError(
                code,
                f"{key}: the value of {name} must be at most {MAX_EXPORT_VALUE_LENGTH}"
                " characters without NUL",
            )
        entries.append((name, text))
    return tuple(entries)


def _parse_partition(value: object, policy: SubmitPolicy) -> str:
    """One allowed partition, or a comma list of them (Slurm runs the job in the first free)."""
    names: list[object] = list(value.split(",")) if isinstance(value, str) else [value]
    refused = [name for name in names if name not in policy.allowed_partitions]
    if refused or not isinstance(value, str):
        allowed = ", ".join(policy.allowed_partitions) or "(none)"
        shown = refused[0] if refused else value
        raise HpcapiError(
            ErrorCode.BAD_PARTITION,
            f"partition {quote_value(shown)} is not allowed; allowed: {allowed}",
        )
    return value


def _as_parameter(key: str, value: object, parse: Callable[[Any], T]) -> T:
    """A slurmsyntax parser whose failures answer BAD_PARAMETER, naming the field."""
    try:
        return _slurm_value(key, value, parse)
    except HpcapiError as error:
        if error.code is ErrorCode.BAD_PARAMETER:
            raise
        raise HpcapiError(ErrorCode.BAD_PARAMETER, error.message) from error


def _slurm_value(key: str, value: object, parse: Callable[[Any], T]) -> T:
    """Run a slurmsyntax parser, refusing JSON types it does not take and naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise HpcapiError(_SHAPE_CODES[key], f"{key} {_SHAPE_HINTS[key]}, got {quote_value(value)}")
    try:
        return parse(value)
    except HpcapiError as error:
        # The parsers speak of "memory" or "timelimit"; name the request's own key.
        raise HpcapiError(error.code, f"{key}: {error.message}") from error


def parse_submit_request(body: object, policy: SubmitPolicy) -> SubmitRequest:
    """Validate an FRCE job-submission body and return it normalized, or raise HpcapiError."""
    if not isinstance(body, dict):
        raise HpcapiError(ErrorCode.POSTDATA_PARSE_ERROR, "the request body must be a JSON object")
    body = with_site_defaults(body, policy)
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
    partition = _parse_partition(given("partition"), policy)
    _check_required(body, policy)

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
        given("mem-per-node"),
        lambda v: _slurm_value("mem-per-node", v, partial(parse_memory, allow_zero=True)),
    )
    time_limit = _optional(
        given("timelimit"), lambda v: _slurm_value("timelimit", v, parse_time_limit)
    )
    dependency = _optional(
        given("dependency"), lambda v: _slurm_value("dependency", v, parse_dependency)
    )
    job_name = _optional(given("job-name"), lambda v: _parse_job_name("job-name", v))

    # The fields beyond FRCE, in FIELDS order.
    account = _optional(given("account"), lambda v: _parse_slurm_name("account", v))
    qos = _optional(given("qos"), lambda v: _parse_slurm_name("qos", v))
    nodes = _optional(given("nodes"), lambda v: _slurm_value("nodes", v, parse_node_count))
    if nodes is not None and ntasks is None and ntasks_per_node is not None:
        # The task count sbatch would derive (translate._effective_ntasks; none for a range)
        # must stay a count.
        if nodes[0] == nodes[1] and nodes[0] * ntasks_per_node > MAX_TASKS:
            raise HpcapiError(
                ErrorCode.BAD_NUMBER_OF_TASKS,
                f"nodes x ntasks-per-node must be at most {MAX_TASKS} tasks",
            )
    array = _optional(given("array"), lambda v: _slurm_value("array", v, parse_array_spec))
    constraint = _optional(
        given("constraint"), lambda v: _slurm_value("constraint", v, parse_constraint)
    )
    gres = _optional(given("gres"), lambda v: _slurm_value("gres", v, parse_gres))
    output = _optional(given("output"), lambda v: _parse_path("output", v))
    error = _optional(given("error"), lambda v: _parse_path("error", v))
    working_directory = _optional(
        given("working-directory"), lambda v: _parse_path("working-directory", v, absolute=True)
    )
    mail_type = _optional(
        given("mail-type"), lambda v: _slurm_value("mail-type", v, parse_mail_types)
    )
    mail_user = _optional(given("mail-user"), lambda v: _parse_mail_user("mail-user", v))
    begin = _optional(given("begin"), lambda v: _slurm_value("begin", v, parse_begin))
    hold = _optional(given("hold"), lambda v: _parse_hold("hold", v))
    export = _optional(given("export"), lambda v: _parse_export("export", v))
    more = _parse_more_options(given, ntasks_per_core, cpus_per_task, time_limit)
    _check_plane(more["distribution"], ntasks, nodes)
    per_task = more["tres_per_task"]
    if per_task is not None:
        # _set_tres_per_task_from_sibling_opt(): the string sets --cpus-per-task and
        # --gpus-per-task, which must then not be given too.
        for key, own, derived in (("cpus-per-task", cpus_per_task, per_task.cpus),
                                  ("gpus-per-task", more["gpus_per_task"], per_task.gpus)):
            if own is not None and derived is not None:
                raise HpcapiError(
                    ErrorCode.BAD_PARAMETER,
                    f"You can not have tres-per-task with {key}: please use one or the other",
                )
        if more["ntasks_per_gpu"] is not None or more["ntasks_per_tres"] is not None:
            raise HpcapiError(ErrorCode.BAD_PARAMETER,
                              "tres-per-task is mutually exclusive with ntasks-per-gpu")
        cpus_per_task = per_task.cpus if per_task.cpus is not None else cpus_per_task
        more["gpus_per_task"] = per_task.gpus or more["gpus_per_task"]
    per_gpu, per_tres = more["ntasks_per_gpu"], more["ntasks_per_tres"]
    if None not in (per_gpu, per_tres) and per_gpu != per_tres:
        raise HpcapiError(ErrorCode.BAD_PARAMETER, f"Inconsistent values set to ntasks-per-gpu"
                          f"={per_gpu} and ntasks-per-tres={per_tres}")  # fmt: skip
    if per_gpu is not None or per_tres is not None:
        # _validate_ntasks_per_gpu() in src/common/slurm_opt.c (25.11).
        beside = [key for key, value in (
            ("gpus-per-task", more["gpus_per_task"]), ("gpus-per-socket", more["gpus_per_socket"]),
            ("ntasks-per-node", ntasks_per_node)) if value is not None]  # fmt: skip
        if beside:
            raise HpcapiError(ErrorCode.BAD_PARAMETER,
                              f"{beside[0]} is mutually exclusive with ntasks-per-gpu")
    if given("mem-per-gpu") is not None and (mem_per_cpu or mem_per_node) is not None:
        # sbatch: "--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive".
        raise HpcapiError(
            ErrorCode.CONFLICTING_MEM_SPECIFICATIONS,
            "give only one of mem-per-cpu, mem-per-node and mem-per-gpu",
        )

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
        account=account,
        qos=qos,
        nodes=nodes,
        array=array,
        constraint=constraint,
        gres=gres,
        output=output,
        error=error,
        working_directory=working_directory,
        mail_type=mail_type,
        mail_user=mail_user,
        begin=begin,
        hold=hold,
        export=export,
        **more,
    )


def _count(key: str) -> Callable[[object], int]:
    """A parser of a positive count of at most MAX_PER_UNIT (a uint16 of job_desc_msg_t)."""
    return lambda v: _parse_count(key, v, ErrorCode.BAD_PARAMETER, MAX_PER_UNIT)


def _syntax(key: str, parse: Callable[[Any], object]) -> Callable[[object], Any]:
    """A parser of ``key`` running a slurmsyntax parser, its failures BAD_PARAMETER."""
    return lambda v: _as_parameter(key, v, parse)


# The fields below, in FIELDS order, with their parsers: SubmitRequest field <- (key, parser).
_MORE_OPTIONS: Final[Mapping[str, tuple[str, Callable[[Any], Any]]]] = {
    "exclusive": ("exclusive", parse_exclusive),
    "requeue": ("requeue", lambda v: _parse_hold("requeue", v)),
    "signal": ("signal", _syntax("signal", parse_signal)),
    "open_mode": ("open-mode", _syntax("open-mode", parse_open_mode)),
    "nice": ("nice", _syntax("nice", parse_nice)),
    "time_min_minutes": ("time-min", _syntax("time-min", parse_time_minimum)),
    "input": ("input", lambda v: _parse_path("input", v)),
    "mincpus": ("mincpus", _count("mincpus")),
    "tmp_mb": ("tmp", _syntax("tmp", parse_memory)),
    "hint": ("hint", _syntax("hint", parse_hint)),
    **{
        key.replace("-", "_"): (key, _syntax(key, partial(parse_gpu_count, key)))
        for key in ("gpus", "gpus-per-node", "gpus-per-task", "gpus-per-socket")
    },
    "cpus_per_gpu": ("cpus-per-gpu", _count("cpus-per-gpu")),
    "mem_per_gpu_mb": ("mem-per-gpu", _syntax("mem-per-gpu", parse_memory)),
    "reservation": ("reservation", lambda v: _parse_slurm_name("reservation", v)),
    "nodelist": ("nodelist", _syntax("nodelist", partial(parse_hostlist, "nodelist"))),
    "exclude": ("exclude", _syntax("exclude", partial(parse_hostlist, "exclude"))),
    "licenses": ("licenses", _syntax("licenses", parse_licenses)),
    "wckey": ("wckey", lambda v: _parse_slurm_name("wckey", v)),
    "threads_per_core": ("threads-per-core", _count("threads-per-core")),
    "cores_per_socket": ("cores-per-socket", _count("cores-per-socket")),
    "sockets_per_node": ("sockets-per-node", _count("sockets-per-node")),
    "ntasks_per_socket": ("ntasks-per-socket", _count("ntasks-per-socket")),
    **{
        key.replace("-", "_"): (key, partial(_parse_hold, key))
        for key in ("no-kill", "overcommit", "contiguous")
    },
    "wait_all_nodes": ("wait-all-nodes", _parse_wait_all_nodes),
    "delay_boot_seconds": ("delay-boot", _syntax("delay-boot", parse_delay_boot)),
    "reboot": ("reboot", partial(_parse_hold, "reboot")),
    "oom_kill_step": ("oom-kill-step", parse_oom_kill_step),
    "prefer": ("prefer", _syntax("prefer", partial(parse_constraint, field="prefer"))),
    "mcs_label": ("mcs-label", lambda v: _parse_slurm_name("mcs-label", v)),
    "acctg_freq": ("acctg-freq", _syntax("acctg-freq", parse_acctg_freq)),
    "cpu_freq": ("cpu-freq", _syntax("cpu-freq", parse_cpu_freq)),
    **{
        key.replace("-", "_"): (key, partial(_parse_specialized, key))
        for key in ("core-spec", "thread-spec")
    },
    "deadline": ("deadline", _syntax("deadline", partial(parse_begin, field="deadline"))),
    **{
        key.replace("-", "_"): (key, partial(_parse_hold, key))
        for key in ("spread-job", "use-min-nodes")
    },
    "kill_on_invalid_dep": ("kill-on-invalid-dep", partial(parse_yes_no, "kill-on-invalid-dep")),
    "extra": ("extra", _syntax("extra", partial(parse_text_line, field="extra"))),
    "gres_flags": ("gres-flags", _syntax("gres-flags", parse_gres_flags)),
    "distribution": ("distribution", _syntax("distribution", parse_distribution)),
    "oversubscribe": ("oversubscribe", partial(_parse_hold, "oversubscribe")),
    "batch": ("batch", _syntax("batch", partial(parse_constraint, field="batch"))),
    **{
        key.replace("-", "_"): (key, _syntax(key, partial(parse_text_line, field=key)))
        for key in ("bb", "cluster-constraint", "network")
    },
    "container": ("container", partial(_parse_path, "container", absolute=True)),
    "container_id": ("container-id", lambda v: _parse_slurm_name("container-id", v)),
    "mem_bind": ("mem-bind", _syntax("mem-bind", parse_mem_bind)),
    "gpu_bind": ("gpu-bind", _syntax("gpu-bind", parse_gpu_bind)),
    "gpu_freq": ("gpu-freq", _syntax("gpu-freq", parse_gpu_freq)),
    "ntasks_per_gpu": ("ntasks-per-gpu", _count("ntasks-per-gpu")),
    "ntasks_per_tres": ("ntasks-per-tres", _count("ntasks-per-tres")),
    "tres_bind": ("tres-bind", _syntax("tres-bind", parse_tres_bind)),
    "tres_per_task": ("tres-per-task", _syntax("tres-per-task", parse_tres_per_task)),
    "extra_node_info": ("extra-node-info", _syntax("extra-node-info", parse_extra_node_info)),
    "priority": ("priority", _syntax("priority", parse_priority)),
    "profile": ("profile", _syntax("profile", parse_profile)),
    "switches": ("switches", _syntax("switches", parse_switches)),
    "segment": ("segment", lambda v: _parse_count("segment", v, ErrorCode.BAD_PARAMETER,
                                                  MAX_SEGMENT_SIZE)),
    **{
        key.replace("-", "_"): (key, partial(_parse_hold, key))
        for key in ("stepmgr", "spread-segments", "consolidate-segments")
    },
    "script_arguments": ("script-arguments", lambda v: _parse_arguments("script-arguments", v)),
    "submit_directory": ("submit-directory",
                         partial(_parse_path, "submit-directory", absolute=True)),
    # sbatch sends a "./job.sh" as it is given: a path, not necessarily an absolute one.
    "script_path": ("script-path", partial(_parse_path, "script-path")),
}


def _parse_more_options(
    given: Callable[[str], object],
    ntasks_per_core: int | None,
    cpus_per_task: int | None,
    time_limit: int | None,
) -> dict[str, Any]:
    """The sbatch options beyond FRCE's and the first extras, checked alone and together."""
    code = ErrorCode.BAD_PARAMETER
    values: dict[str, Any] = {
        field: _optional(given(key), parse) for field, (key, parse) in _MORE_OPTIONS.items()
    }
    node_info = values["extra_node_info"] or (None, None, None)
    for field, count in zip(("sockets_per_node", "cores_per_socket", "threads_per_core"),
                            node_info, strict=True):
        if count is not None and values[field] is not None:
            # Both set one job_desc_msg_t field; sbatch keeps the last given.
            raise HpcapiError(code, f"extra-node-info and {field.replace('_', '-')} are"
                              " mutually exclusive")  # fmt: skip
        values[field] = count if count is not None else values[field]
    if values["time_min_minutes"] is not None and time_limit is not None:
        # slurmctld refuses a time_min above time_limit (ESLURM_INVALID_TIME_MIN_LIMIT).
        if values["time_min_minutes"] > time_limit:
            raise HpcapiError(code, "time-min must not be longer than timelimit")
    if values["hint"] is not None:
        # validate_hint_option() in src/common/slurm_opt.c drops --hint beside these, with
        # only a verbose message; refuse the mix rather than ignore a field.
        beside = [
            key for key, value in (
                ("ntasks-per-core", ntasks_per_core),
                ("threads-per-core", values["threads_per_core"]),
                ("cores-per-socket", values["cores_per_socket"]),
                ("sockets-per-node", values["sockets_per_node"]),
            ) if value is not None
        ]  # fmt: skip
        if beside:
            raise HpcapiError(code, f"hint cannot be combined with {', '.join(beside)}")
    threads = values["threads_per_core"]
    if ntasks_per_core is not None and threads is not None and threads < ntasks_per_core:
        # _opt_verify() in src/sbatch/opt.c.
        raise HpcapiError(code, "threads-per-core must not be below ntasks-per-core")
    if values["oversubscribe"] and values["exclusive"] is not None:
        # Both are job_desc_msg_t's one "shared"; sbatch keeps the last given.
        raise HpcapiError(code, "exclusive and oversubscribe are mutually exclusive")
    if values["gpu_bind"] is not None and values["tres_bind"] is not None:
        # Both set job_desc_msg_t's one tres_bind; sbatch keeps the last given.
        raise HpcapiError(code, "gpu-bind and tres-bind are mutually exclusive")
    if values["spread_segments"] and values["consolidate_segments"]:
        raise HpcapiError(code, "spread-segments and consolidate-segments are mutually exclusive")
    if values["core_spec"] is not None and values["thread_spec"] is not None:
        # Both set job_desc_msg_t's one core_spec; sbatch keeps the last given.
        raise HpcapiError(code, "core-spec and thread-spec are mutually exclusive")
    if values["cpus_per_gpu"] is not None and cpus_per_task is not None:
        # _validate_cpus_per_tres() in src/common/slurm_opt.c.
        raise HpcapiError(code, "cpus-per-gpu and cpus-per-task are mutually exclusive")
    return values


def _check_plane(
    distribution: Distribution | None, ntasks: int | None, nodes: tuple[int, int] | None
) -> None:
    """Refuse a plane too large for the tasks and nodes, as sbatch's _opt_verify() does."""
    if distribution is None or distribution.plane_size is None:
        return
    tasks, min_nodes, size = ntasks or 1, (nodes or (1, 1))[0], distribution.plane_size
    if tasks // size < min_nodes and (min_nodes - 1) * size >= tasks:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER,
            f"distribution plane={size}: too few tasks ({tasks}) for {min_nodes} nodes (sbatch:"
            " Too few processes for the requested {plane,node} distribution)",
        )


def _optional(value: object, parse: Callable[[object], T]) -> T | None:
    """None for an absent field, else the parsed value."""
    return None if value is None else parse(value)
