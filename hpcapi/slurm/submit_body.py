"""The job-submission body of each slurmrestd API version, from hpcapi's ``JobDescription``.

Every difference between API versions in what hpcapi sends lives here, each branch naming the
Slurm release behind it. Supported versions: v0.0.38 (Slurm 22.05) and v0.0.40-v0.0.44 (Slurm
23.11-25.11).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hpcapi.core.slurmsyntax import resolve_begin
from hpcapi.model import JobDescription
from hpcapi.slurm.versions import check_api_version

# Sent under the same key and type (string, boolean, int) by every supported version.
_PLAIN_FIELDS = (
    "partition", "tasks", "tasks_per_core", "tasks_per_node", "cpus_per_task", "memory_per_cpu",
    "memory_per_node", "dependency", "time_limit", "account", "qos", "array", "constraints",
    "standard_error", "mail_user", "hold", "comment",
)  # fmt: skip

# The numbers that Slurm 23.11 (v0.0.40) turned into {set, infinite, number} structs.
_NO_VAL_FIELDS = frozenset({"time_limit", "memory_per_cpu", "memory_per_node"})

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
    # Slurm 23.11 (v0.0.40): time_limit (uint32_no_val), memory_per_cpu and memory_per_node
    # (uint64_no_val) are {set, infinite, number} structs in the schema, which admits no plain
    # int (25.11 takes one, but the schema is the contract). tasks, tasks_per_*, cpus_per_task
    # stay plain int32.
    return {key: _no_val(v) if key in _NO_VAL_FIELDS else v for key, v in fields.items()}


def _render_options(api_version: str, job: JobDescription) -> dict[str, Any]:
    """The description's fields whose key or type differs between versions."""
    options: dict[str, Any] = {}
    if api_version == "v0.0.38":
        # Slurm 22.05 runs each key through sbatch's own option parser (arg_set_data_*() in
        # src/common/slurm_opt.c):
        # - nodes: the spec's [min, max] array; arg_set_data_nodes() wants exactly two items.
        if job.nodes is not None:
            options["nodes"] = list(job.nodes)
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
        return options
    # Slurm 23.11 (v0.0.40): typed by the data parser.
    # - nodes: a string range "N" or "MIN-MAX" (REST-25.11.md).
    if job.nodes is not None:
        low, high = job.nodes
        options["nodes"] = str(low) if low == high else f"{low}-{high}"
    # - no gres key: sbatch --gres becomes tres_per_node, each entry "gres/"-prefixed
    #   (gres_prepend_tres_type() in src/interfaces/gres.c, 23.11).
    if job.gres is not None:
        options["tres_per_node"] = ",".join(f"gres/{entry}" for entry in job.gres.split(","))
    # - mail_type: a list of JOB_MAIL_FLAGS names, with no NONE or ALL; NONE is Slurm's
    #   default, so it is simply not sent.
    if job.mail_types is not None:
        flags: list[str] = []
        for name in job.mail_types:
            flags += [flag for flag in _MAIL_FLAGS[name] if flag not in flags]
        if flags:
            options["mail_type"] = flags
    # - begin_time: a uint64_no_val struct of epoch seconds; hpcapi reads a wall-clock time in
    #   its own time zone, as sbatch does on the submit host.
    if job.begin is not None:
        options["begin_time"] = _no_val(resolve_begin(job.begin, job.submitted_at))
    return options


def render_submit_body(api_version: str, job: JobDescription) -> dict[str, Any]:
    """The JSON body for ``POST /slurm/<api_version>/job/submit``."""
    check_api_version(api_version)
    plain = {key: getattr(job, key) for key in _PLAIN_FIELDS}
    fields = {key: value for key, value in plain.items() if value is not None}
    fields["name"] = job.name
    fields["current_working_directory"] = job.working_directory
    fields["standard_output"] = job.standard_output
    body = _render_numbers(api_version, fields)
    body.update(_render_options(api_version, job))
    body["environment"] = _render_environment(api_version, job.environment)
    if api_version == "v0.0.38":
        # Slurm 22.05: "script" sits beside "job" and is required there.
        return {"script": job.script, "job": body}
    # Slurm 23.11 (v0.0.40) reads job.script; 24.05 (v0.0.41) deprecates the top-level
    # "script" (25.05's v0.0.43 spec calls it "same as" job.script): send it inside job only.
    # current_working_directory, always sent, became required in 25.11 (else 500 error 2063).
    body["script"] = job.script
    return {"job": body}
