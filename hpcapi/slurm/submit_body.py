"""The job-submission body of each slurmrestd API version, from hpcapi's ``JobDescription``.

Every difference between API versions in what hpcapi sends lives here, each branch naming the
Slurm release behind it. Supported versions: v0.0.38 (Slurm 22.05) and v0.0.40-v0.0.44 (Slurm
23.11-25.11).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hpcapi.core.slurmsyntax import PRIORITY_TOP, resolve_begin
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import JobDescription
from hpcapi.slurm.versions import check_api_version, version_key

# Sent under the same key and type (string, boolean, int) by every supported version.
_PLAIN_FIELDS = (
    "partition", "tasks", "tasks_per_core", "tasks_per_node", "cpus_per_task", "memory_per_cpu",
    "memory_per_node", "dependency", "time_limit", "account", "qos", "array", "constraints",
    "standard_error", "mail_user", "hold", "comment", "requeue", "nice", "standard_input",
    "minimum_cpus_per_node", "reservation", "licenses", "wckey", "threads_per_core",
    "sockets_per_node", "time_minimum", "tasks_per_socket", "prefer", "mcs_label",
    "account_gather_frequency", "cpu_frequency", "core_specification", "thread_specification",
    "distribution", "batch_features", "burst_buffer", "cluster_constraint", "container",
)  # fmt: skip

# The numbers that Slurm 23.11 (v0.0.40) turned into {set, infinite, number} structs.
# slurm.h: a uint16 that is not set.
NO_VAL16 = 0xFFFE
_NO_VAL_FIELDS = frozenset({"time_limit", "memory_per_cpu", "memory_per_node", "time_minimum"})

# The submit_job key of each JobDescription field an API version may be unable to carry.
_REQUEST_KEYS = {
    "temporary_disk": "tmp", "required_nodes": "nodelist", "excluded_nodes": "exclude",
    "cores_per_socket": "cores-per-socket", "exclusive": "exclusive", "requeue": "requeue",
    "signal_batch_only": "signal", "overcommit": "overcommit", "contiguous": "contiguous",
    "reboot": "reboot", "oom_kill_step": "oom-kill-step", "use_min_nodes": "use-min-nodes",
    "extra": "extra", "arguments": "script-arguments", "network": "network",
    "container_id": "container-id", "batch_features": "batch", "profile": "profile",
    "required_switches": "switches", "stepmgr": "stepmgr", "segment_size": "segment",
    "spread_segments": "spread-segments", "consolidate_segments": "consolidate-segments",
    "tasks_per_gpu": "ntasks-per-gpu (or ntasks-per-tres)", "tres_bind": "tres-bind",
    "tres_per_task": "tres-per-task",
}  # fmt: skip

# sbatch's mail type names (22.05) -> the v0.0.40+ data parser's JOB_MAIL_FLAGS names.
_MAIL_FLAGS = {
    "BEGIN": ("BEGIN",),
    "END": ("END",),
    "FAIL": ("FAIL",),
    "REQUEUE": ("REQUEUE",),
    "INVALID_DEPEND": ("INVALID_DEPENDENCY",),
    "STAGE_OUT": ("STAGE_OUT",),
    "TIME_LIMIT": ("TIME=100%",),
    "TIME_LIMIT_90": ("TIME=90%",),
    "TIME_LIMIT_80": ("TIME=80%",),
    "TIME_LIMIT_50": ("TIME=50%",),
    "ARRAY_TASKS": ("ARRAY_TASKS",),
    # parse_mail_type() in src/common/proc_args.c (22.05.8): ALL is these six.
    "ALL": ("INVALID_DEPENDENCY", "BEGIN", "END", "FAIL", "REQUEUE", "STAGE_OUT"),
    "NONE": (),
}


# slurm_xstr_mem_bind_type()'s names -> the v0.0.40+ MEMORY_BINDING_TYPE flags.
_MEM_BIND_TYPES = {"verbose": "VERBOSE", "prefer": "PREFER", "none": "NONE", "rank": "RANK",
                   "local": "LOCAL", "map_mem": "MAP", "mask_mem": "MASK"}


def _no_val(number: int) -> dict[str, Any]:
    """A number as the {set, infinite, number} struct of the v0.0.40+ data parsers."""
    return {"set": True, "infinite": False, "number": number}


def slurm_time(epoch: int) -> str:
    """An instant as the local YYYY-MM-DDTHH:MM:SS that parse_time() reads (Slurm 22.05)."""
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%dT%H:%M:%S")


def _render_environment(api_version: str, environment: tuple[tuple[str, str], ...]) -> Any:
    """The job environment in the shape ``api_version`` wants."""
    if api_version == "v0.0.38":
        # Slurm 22.05: an object, required and non-empty (else 400 "environment must be set",
        # error 2127).
        return dict(environment)
    # Slurm 23.11 (v0.0.40): a list of "NAME=value" strings (string_array). 25.11 converts an
    # object with a warning; an empty list gets 500 error 2019, and ours is never empty.
    return [f"{name}={value}" for name, value in environment]


def _render_numbers(api_version: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The job's numbers in the types ``api_version`` wants."""
    if api_version == "v0.0.38":
        # Slurm 22.05: plain integers (minutes, MB).
        return dict(fields)
    # Slurm 23.11 (v0.0.40): time_limit, time_minimum (uint32_no_val), memory_per_cpu and
    # memory_per_node (uint64_no_val) are {set, infinite, number} structs in the schema, which
    # admits no plain int (25.11 takes one, but the schema is the contract). tasks,
    # tasks_per_*, cpus_per_task stay plain int32.
    return {key: _no_val(v) if key in _NO_VAL_FIELDS else v for key, v in fields.items()}


def _cannot_carry(api_version: str, field: str, why: str) -> HpcapiError:
    """The refusal of a field that ``api_version`` has no way to send."""
    return HpcapiError(
        ErrorCode.BAD_PARAMETER,
        f"{_REQUEST_KEYS[field]}: this Slurm release's API ({api_version}) cannot carry it"
        f" ({why})",
    )


def _check_carried(api_version: str, job: JobDescription) -> None:
    """Refuse the fields ``api_version`` has no key for."""
    if job.oom_kill_step is not None and version_key(api_version) < version_key("v0.0.42"):
        # oom_kill_step came with Slurm 24.11 (v0.0.42).
        raise _cannot_carry(api_version, "oom_kill_step", "it has no oom_kill_step key")
    # What came later than 23.11: --stepmgr and --segment with 24.05 (v0.0.41), the
    # SPREAD_SEGMENTS and CONSOLIDATE_SEGMENTS flags with 25.11 (v0.0.44).
    for field, since in (("stepmgr", "v0.0.41"), ("segment_size", "v0.0.41"),
                         ("spread_segments", "v0.0.44"), ("consolidate_segments", "v0.0.44")):
        if getattr(job, field) and version_key(api_version) < version_key(since):
            raise _cannot_carry(api_version, field, f"it came with {since}")
    if api_version == "v0.0.38":
        # Slurm 22.05's job_properties has no key for --tmp, --nodelist or --exclude (an
        # unknown key is answered 400 "Unknown key").
        for field in ("temporary_disk", "required_nodes", "excluded_nodes"):
            if getattr(job, field) is not None:
                raise _cannot_carry(api_version, field, "Slurm 22.05 has no key for it")
        if job.exclusive == "topo":
            raise _cannot_carry(api_version, "exclusive", "topo is not in Slurm 22.05")
        # Measured on 22.05.8 against sbatch: slurmrestd 22.05 reads requeue false as no
        # value (the job keeps Requeue=1) and refuses a signal with "B:" ("Invalid SIGNAL
        # specification"), though its spec has both.
        if job.requeue is False:
            raise _cannot_carry(api_version, "requeue", "Slurm 22.05 ignores requeue false")
        # v0.0.38's job_properties has no overcommit, contiguous, reboot, extra,
        # use-min-nodes, network, container-id, profile, switches or ntasks-per-gpu key.
        for field in ("overcommit", "contiguous", "reboot", "use_min_nodes", "extra", "network",
                      "container_id", "profile", "required_switches", "tasks_per_gpu",
                      "tres_bind", "tres_per_task"):
            if getattr(job, field):
                raise _cannot_carry(api_version, field, "Slurm 22.05 has no key for it")
        if job.signal_batch_only:
            raise _cannot_carry(api_version, "signal_batch_only",
                                "Slurm 22.05 refuses a B: signal")
        if job.arguments:
            raise _cannot_carry(api_version, "arguments",
                                "slurmrestd 22.05 aborts on a job's argv")
        # batch_features corrupted slurmrestd 22.05.8's heap: it died ("malloc(): smallbin
        # double linked list corrupted") within a few requests of one, 4 runs out of 7.
        if job.batch_features is not None:
            raise _cannot_carry(api_version, "batch_features",
                                "slurmrestd 22.05 crashes on batch_features")
    elif api_version == "v0.0.40":
        # Slurm 23.11's "shared" flags have no topo (added in 24.05, v0.0.41).
        if job.exclusive == "topo":
            raise _cannot_carry(api_version, "exclusive", "topo is not in Slurm 23.11")
    elif job.cores_per_socket is not None:
        # Slurm 24.05 (v0.0.41) dropped cores_per_socket from job_desc_msg; 25.11's v0.0.44
        # parser still has no such key (JOB_DESC_MSG in src/plugins/data_parser/v0.0.44).
        raise _cannot_carry(api_version, "cores_per_socket", "it has no cores_per_socket key")


def _render_options(api_version: str, job: JobDescription) -> dict[str, Any]:
    """The description's fields whose key or type differs between versions."""
    options: dict[str, Any] = {}
    # nodes: sbatch's --nodes string "N" or "MIN-MAX" in every version (REST-25.11.md). Slurm
    # 22.05 also documents a [min, max] array, but reads it wrongly: the job gets NumNodes=1
    # whatever the array holds (measured on 22.05.8), while the string gives sbatch's 1-1/1-2.
    if job.nodes is not None:
        low, high = job.nodes
        options["nodes"] = str(low) if low == high else f"{low}-{high}"
    if api_version == "v0.0.38":
        # Slurm 22.05 runs each key through sbatch's own option parser (arg_set_data_*() in
        # src/common/slurm_opt.c):
        # - gres: a string; arg_set_data_gres() prepends "gres:" itself.
        if job.gres is not None:
            options["gres"] = job.gres
        # - mail_type: the --mail-type string, read by parse_mail_type().
        if job.mail_types is not None:
            options["mail_type"] = ",".join(job.mail_types)
        # - begin_time: a parse_time() string; the spec says int64, but an epoch is refused
        #   ("Unable to parse time", NOTES.md). hpcapi resolves every form itself, as for
        #   v0.0.40+, and sends the local wall-clock time, which Slurm reads in slurmrestd's
        #   time zone (hpcapi's too, as on a submit host). In the hour a DST change repeats,
        #   Slurm's mktime() may read it as either occurrence.
        if job.begin is not None:
            options["begin_time"] = slurm_time(resolve_begin(job.begin, job.submitted_at))
        # - exclusive: the --exclusive argument. The spec's "true" and "false" are refused
        #   ("Invalid exclusive specification", 22.05.8); "exclusive" gives OverSubscribe=NO,
        #   as sbatch --exclusive does.
        if job.exclusive is not None:
            options["exclusive"] = job.exclusive
        # - memory_binding: the --mem-bind string, for slurm_verify_mem_bind().
        if job.memory_binding_names is not None:
            values = job.memory_binding_values
            options["memory_binding"] = ",".join(job.memory_binding_names) + (
                f":{values}" if values else "")
        # - priority: the --priority string, for arg_set_priority().
        if job.priority is not None:
            options["priority"] = "TOP" if job.priority == PRIORITY_TOP else str(job.priority)
        # - oversubscribe: a boolean (--oversubscribe).
        if job.oversubscribe:
            options["oversubscribe"] = True
        # - signal: the --signal string, for get_signal_opts().
        if job.signal_number is not None:
            scope = ("R" if job.signal_reservation else "") + ("B" if job.signal_batch_only else "")
            prefix = f"{scope}:" if scope else ""
            options["signal"] = f"{prefix}{job.signal_number}@{job.signal_delay}"
        # - no_kill: the --no-kill argument, "set" or "off"; wait_all_nodes: 0 or 1. The
        #   spec says boolean for both, but 22.05.8 refuses a boolean ("Invalid no kill
        #   specification", "Unable to read integer value").
        if job.no_kill is not None:
            options["no_kill"] = "set" if job.no_kill else "off"
        if job.wait_all_nodes is not None:
            options["wait_all_nodes"] = int(job.wait_all_nodes)
        # - delay_boot: a time string for time_str2secs(); the spec's integer is read as
        #   minutes (600 gave DelayBoot=10:00:00 on 22.05.8).
        if job.delay_boot is not None:
            hours, rest = divmod(job.delay_boot, 3600)
            options["delay_boot"] = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        # - open_mode: "append" or "truncate".
        if job.open_mode is not None:
            options["open_mode"] = job.open_mode
        # - deadline: a parse_time() string, as begin_time.
        if job.deadline is not None:
            options["deadline"] = slurm_time(resolve_begin(job.deadline, job.submitted_at))
        # - spread_job, kill_on_invalid_dependency: booleans; gres_flags: the --gres-flags
        #   string.
        if job.spread_job:
            options["spread_job"] = True
        if job.kill_on_invalid_dependency is not None:
            options["kill_on_invalid_dependency"] = job.kill_on_invalid_dependency
        if job.gres_flags is not None:
            options["gres_flags"] = job.gres_flags
        # - gpus, gpus_per_node, gpus_per_task: the sbatch strings "[type:]N"; cpus_per_gpu
        #   is a string and memory_per_gpu an integer (MB) in the spec.
        for key in ("gpus", "gpus_per_node", "gpus_per_task", "gpus_per_socket"):
            if getattr(job, key) is not None:
                options[key] = getattr(job, key)
        if job.cpus_per_gpu is not None:
            options["cpus_per_gpu"] = str(job.cpus_per_gpu)
        # - gpu_binding, gpu_frequency: the --gpu-bind and --gpu-freq strings.
        for key in ("gpu_binding", "gpu_frequency"):
            if getattr(job, key) is not None:
                options[key] = getattr(job, key)
        if job.memory_per_gpu is not None:
            options["memory_per_gpu"] = job.memory_per_gpu
        if job.cores_per_socket is not None:
            options["cores_per_socket"] = job.cores_per_socket
        return options
    # Slurm 23.11 (v0.0.40): typed by the data parser.
    # - no gres key: sbatch --gres becomes tres_per_node, each entry "gres/"-prefixed
    #   (gres_prepend_tres_type() in src/interfaces/gres.c, 23.11).
    #   sbatch puts --gpus-per-node first (xfmt_tres(), then the gres, in
    #   slurm_opt_create_job_desc() of src/common/slurm_opt.c, 25.11); the GPU options are
    #   "gres/gpu:[type:]N" entries of tres_per_job, tres_per_node and tres_per_task, and
    #   --cpus-per-gpu and --mem-per-gpu are "gres/gpu:N" in cpus_per_tres, memory_per_tres.
    per_node = _gpu_tres(job.gpus_per_node)
    # --gres=none: 25.11's sbatch sends no tres_per_node entry for it (measured: the job
    # shows no TresPerNode), so neither does hpcapi.
    if job.gres is not None and job.gres.lower() != "none":
        per_node += [f"gres/{entry}" for entry in job.gres.split(",")]
    if per_node:
        options["tres_per_node"] = ",".join(per_node)
    if job.gpus is not None:
        options["tres_per_job"] = ",".join(_gpu_tres(job.gpus))
    if job.gpus_per_socket is not None:
        options["tres_per_socket"] = ",".join(_gpu_tres(job.gpus_per_socket))
    # - --gpu-bind and --gpu-freq: tres_bind "gres/gpu:..." and tres_freq "gpu:..."
    #   (arg_set_gpu_bind(), arg_set_gpu_freq()); --ntasks-per-gpu: ntasks_per_tres.
    if job.tres_bind is not None:
        options["tres_bind"] = job.tres_bind
    elif job.gpu_binding is not None:
        options["tres_bind"] = f"gres/gpu:{job.gpu_binding}"
    if job.gpu_frequency is not None:
        options["tres_freq"] = f"gpu:{job.gpu_frequency}"
    if job.tasks_per_gpu is not None:
        options["ntasks_per_tres"] = job.tasks_per_gpu
    # - no_kill became kill_on_node_fail, its opposite; wait_all_nodes, overcommit and
    #   contiguous are booleans.
    if job.no_kill is not None:
        options["kill_on_node_fail"] = not job.no_kill
    if job.wait_all_nodes is not None:
        options["wait_all_nodes"] = job.wait_all_nodes
    if job.delay_boot is not None:
        options["delay_boot"] = job.delay_boot  # seconds
    for key in ("overcommit", "contiguous", "reboot"):
        if getattr(job, key):
            options[key] = True
    if job.tres_per_task is not None:
        options["tres_per_task"] = job.tres_per_task
    elif job.gpus_per_task is not None:
        options["tres_per_task"] = ",".join(_gpu_tres(job.gpus_per_task))
    if job.cpus_per_gpu is not None:
        options["cpus_per_tres"] = f"gres/gpu:{job.cpus_per_gpu}"
    if job.memory_per_gpu is not None:
        options["memory_per_tres"] = f"gres/gpu:{job.memory_per_gpu}"
    # - exclusive: the "shared" flag list (JOB_SHARED: "none" is --exclusive alone); the
    #   "exclusive" key is deprecated in v0.0.41 and gone from v0.0.42.
    if job.exclusive is not None:
        options["shared"] = ["none" if job.exclusive == "exclusive" else job.exclusive]
    elif job.oversubscribe:
        options["shared"] = ["oversubscribe"]
    # - signal: kill_warning_signal (SIGNAL: a number as a string), kill_warning_delay
    #   (uint16_no_val) and kill_warning_flags (WARN_FLAGS) instead of the --signal string.
    if job.signal_number is not None:
        options["kill_warning_signal"] = str(job.signal_number)
        options["kill_warning_delay"] = _no_val(job.signal_delay or 0)
        warn_flags = ["BATCH_JOB"] * job.signal_batch_only
        warn_flags += ["RESERVATION_JOB"] * job.signal_reservation
        if warn_flags:
            options["kill_warning_flags"] = warn_flags
    # - open_mode: a flag list, upper case.
    if job.open_mode is not None:
        options["open_mode"] = [job.open_mode.upper()]
    # - tmp: temporary_disk_per_node (MB); nodelist, exclude: csv_string lists, which the
    #   parser joins with commas into the hostlist expression.
    if job.temporary_disk is not None:
        options["temporary_disk_per_node"] = job.temporary_disk
    if job.required_nodes is not None:
        options["required_nodes"] = list(job.required_nodes)
    if job.excluded_nodes is not None:
        options["excluded_nodes"] = list(job.excluded_nodes)
    if job.cores_per_socket is not None:  # v0.0.40; _check_carried() refused it for v0.0.41+
        options["cores_per_socket"] = job.cores_per_socket
    # - mail_type: a list of JOB_MAIL_FLAGS names, with no NONE or ALL; NONE is Slurm's
    #   default, so it is simply not sent.
    if job.mail_types is not None:
        flags: list[str] = []
        for name in job.mail_types:
            flags += [flag for flag in _MAIL_FLAGS[name] if flag not in flags]
        if flags:
            options["mail_type"] = flags
    # - begin_time: a uint64_no_val struct of epoch seconds; hpcapi reads a wall-clock time in
    #   its own time zone, as sbatch does on the submit host. deadline: plain epoch seconds.
    if job.begin is not None:
        options["begin_time"] = _no_val(resolve_begin(job.begin, job.submitted_at))
    if job.deadline is not None:
        options["deadline"] = resolve_begin(job.deadline, job.submitted_at)
    # - mem-bind: memory_binding_type flags and memory_binding, the list alone.
    if job.memory_binding_names is not None:
        options["memory_binding_type"] = [_MEM_BIND_TYPES[n] for n in job.memory_binding_names]
        if job.memory_binding_values is not None:
            options["memory_binding"] = job.memory_binding_values
    # - priority, required_switches, segment_size: uint32/uint16 no_val structs;
    #   wait_for_switch seconds; profile a list of ACCT_GATHER_PROFILE flags.
    if job.priority is not None:
        options["priority"] = _no_val(job.priority)
    if job.required_switches is not None:
        options["required_switches"] = _no_val(job.required_switches)
        if job.wait_for_switch is not None:
            options["wait_for_switch"] = job.wait_for_switch
    if job.segment_size is not None:
        options["segment_size"] = _no_val(job.segment_size)
    if job.profile is not None:
        options["profile"] = list(job.profile)
    for key in ("extra", "network", "container_id"):
        if getattr(job, key) is not None:
            options[key] = getattr(job, key)
    # - spread_job, kill_on_invalid_dependency, use_min_nodes and gres_flags: job flags.
    job_flags = _job_flags(job)
    if job_flags:
        options["flags"] = job_flags
    return options


def _job_flags(job: JobDescription) -> list[str]:
    """The v0.0.40+ JOB_FLAGS names of the description's sbatch flags (the job_flags bits)."""
    flags = ["SPREAD_JOB"] * bool(job.spread_job)
    if job.kill_on_invalid_dependency is not None:
        flags.append(
            "KILL_INVALID_DEPENDENCY" if job.kill_on_invalid_dependency
            else "NO_KILL_INVALID_DEPENDENCY"
        )  # fmt: skip
    flags += ["PREFER_MINIMUM_NODE_COUNT"] * bool(job.use_min_nodes)
    flags += ["STEPMGR_ENABLED"] * bool(job.stepmgr)
    flags += ["SPREAD_SEGMENTS"] * bool(job.spread_segments)
    flags += ["CONSOLIDATE_SEGMENTS"] * bool(job.consolidate_segments)
    if job.gres_flags is not None:
        flags.append(
            "GRES_BINDING_ENFORCED" if job.gres_flags == "enforce-binding"
            else "GRES_BINDING_DISABLED"
        )  # fmt: skip
    return flags


def _gpu_tres(request: str | None) -> list[str]:
    """GPU request entries "[type:]N" as "gres/gpu:[type:]N" TRES (xfmt_tres())."""
    return [f"gres/gpu:{entry}" for entry in request.split(",")] if request else []


def render_submit_body(api_version: str, job: JobDescription) -> dict[str, Any]:
    """The JSON body for ``POST /slurm/<api_version>/job/submit``; HpcapiError if uncarriable."""
    check_api_version(api_version)
    _check_carried(api_version, job)
    plain = {key: getattr(job, key) for key in _PLAIN_FIELDS}
    fields = {key: value for key, value in plain.items() if value is not None}
    fields["name"] = job.name
    fields["current_working_directory"] = job.working_directory
    fields["standard_output"] = job.standard_output
    body = _render_numbers(api_version, fields)
    body.update(_render_options(api_version, job))
    body["environment"] = _render_environment(api_version, job.environment)
    if (job.command is not None or job.arguments) and api_version != "v0.0.38":
        # argv (a string list): slurmctld keeps argv[0] as the job's Command, as sbatch sends
        # the script's path; slurmstepd runs the spooled copy anyway, with the rest as the
        # script's arguments. v0.0.38 declares argv too, but slurmrestd 22.05 aborts on it
        # ("free(): invalid pointer", seen on 22.05.8): there the Command stays "(null)", as
        # for a script sbatch reads from stdin, and _check_carried() refused arguments.
        body["argv"] = [job.command or job.name, *(job.arguments or ())]
    if version_key(api_version) >= version_key("v0.0.42"):
        # oom_kill_step (v0.0.42+) is 0 when not sent, which turns off slurm.conf's
        # OOMKillStep; sbatch leaves it unset (NO_VAL16, measured on 25.11.7: the job then
        # shows no OOMKillStep, as sbatch's does).
        body["oom_kill_step"] = NO_VAL16 if job.oom_kill_step is None else job.oom_kill_step
    if api_version == "v0.0.38":
        # Slurm 22.05: "script" sits beside "job" and is required there.
        return {"script": job.script, "job": body}
    # Slurm 23.11 (v0.0.40) reads job.script; 24.05 (v0.0.41) deprecates the top-level
    # "script" (25.05's v0.0.43 spec calls it "same as" job.script): send it inside job only.
    # current_working_directory, always sent, became required in 25.11 (else 500 error 2063).
    body["script"] = job.script
    return {"job": body}
