"""Translation of a validated ``SubmitRequest`` into a slurmrestd job-submission body.

Every difference between slurmrestd API versions in the submit body lives in
``_render_submit_body`` and the helpers it calls, each branch naming the Slurm release behind
it. Supported versions: v0.0.38 (Slurm 22.05) and v0.0.40-v0.0.44 (Slurm 23.11-25.11).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from hpcapi.core.records import SUPPORTED_API_VERSIONS, check_api_version
from hpcapi.core.submit import SubmitRequest

DEFAULT_JOB_NAME = "hpcapi"


def job_name(req: SubmitRequest) -> str:
    """The name the job of ``req`` gets in Slurm."""
    return req.job_name or DEFAULT_JOB_NAME


# The only variables outside SLURM_* a job environment ever gets from hpcapi.
BASE_ENVIRONMENT_KEYS = frozenset({"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG"})


@dataclass(frozen=True)
class JobOwner:
    """The local account a job runs as, as the passwd database describes it."""

    user: str
    uid: int
    home: str
    shell: str


def _effective_ntasks(req: SubmitRequest) -> int | None:
    """The task count sbatch would request: --ntasks, else --ntasks-per-node times --nodes."""
    # _opt_verify() in src/sbatch/opt.c (22.05): with --ntasks-per-node and no --ntasks, and no
    # node range, sbatch sets ntasks = min_nodes * ntasks_per_node; min_nodes defaults to 1
    # (arg_reset_nodes() in src/common/slurm_opt.c). With a range MIN-MAX it derives nothing.
    if req.ntasks is not None:
        return req.ntasks
    if req.ntasks_per_node is None:
        return None
    low, high = req.nodes or (1, 1)
    return low * req.ntasks_per_node if low == high else None


def build_environment(
    req: SubmitRequest,
    owner: JobOwner,
    path: str,
    lang: str,
    submit_dir: str | None = None,
) -> dict[str, str]:
    """Return the job's clean environment plus the SLURM_* variables sbatch would set."""
    # Built from nothing: the API server's own os.environ must never leak into a user's job.
    env = {
        "PATH": path,
        "HOME": owner.home,
        "USER": owner.user,
        "LOGNAME": owner.user,
        "SHELL": owner.shell,
        "LANG": lang,
    }
    # The request's export entries, as "sbatch --export=...,NAME=value" would add them: they
    # may replace PATH, SHELL or LANG, never HOME, USER, LOGNAME or SLURM_* (submit.py refuses
    # those), so they cannot change who the job runs as or the variables set below.
    env.update(req.export or ())
    # sbatch sets the variables below in ITS OWN environment, which then becomes the job's
    # (--export=ALL); slurmd does not recreate them, so a REST job lacks them unless we add
    # them (verified on 22.05.8: SLURM_CPUS_PER_TASK and SLURM_NTASKS_PER_NODE were missing).
    # SLURM_MEM_PER_CPU / SLURM_MEM_PER_NODE are NOT here: slurmd sets those itself from the
    # job record in env_array_for_batch_job() (src/common/env.c), for REST jobs too.
    #
    # _set_submit_dir_env() in src/sbatch/sbatch.c: the directory sbatch ran in.
    if submit_dir is not None:
        env["SLURM_SUBMIT_DIR"] = submit_dir
    # _opt_verify() in src/sbatch/opt.c: setenv("SLURM_JOB_NAME") whenever a name is known;
    # hpcapi always sends one, as "sbatch --job-name" would.
    env["SLURM_JOB_NAME"] = job_name(req)
    # _opt_verify(): setenvfs("SLURM_JOB_DEPENDENCY=%s", opt.dependency).
    if req.dependency is not None:
        env["SLURM_JOB_DEPENDENCY"] = req.dependency.expression
    # _opt_verify() fills het_job_env; set_envs() in src/sbatch/opt.c writes it into the job
    # description's environment, in this order.
    if req.cpus_per_task is not None:
        env["SLURM_CPUS_PER_TASK"] = str(req.cpus_per_task)
    ntasks = _effective_ntasks(req)
    if ntasks is not None:
        env["SLURM_NPROCS"] = str(ntasks)  # kept by sbatch "for old scripts"
        env["SLURM_NTASKS"] = str(ntasks)
    if req.ntasks_per_core is not None:
        env["SLURM_NTASKS_PER_CORE"] = str(req.ntasks_per_core)
    if req.ntasks_per_node is not None:
        env["SLURM_NTASKS_PER_NODE"] = str(req.ntasks_per_node)
    return env


def _job_fields(req: SubmitRequest, working_directory: str, comment: str | None) -> dict[str, Any]:
    """The job description in plain values (ints, strings), before any version's encoding."""
    fields: dict[str, Any] = {"partition": req.partition}
    ntasks = _effective_ntasks(req)
    optional: dict[str, Any] = {
        "tasks": ntasks,
        "tasks_per_core": req.ntasks_per_core,
        "tasks_per_node": req.ntasks_per_node,
        "cpus_per_task": req.cpus_per_task,
        "memory_per_cpu": req.mem_per_cpu_mb,
        "memory_per_node": req.mem_per_node_mb,
        "dependency": req.dependency.expression if req.dependency is not None else None,
        "time_limit": req.time_limit_minutes,
        # The same key and type (string, boolean) in every supported version.
        "account": req.account,
        "qos": req.qos,
        "array": req.array,
        "constraints": req.constraint,
        "standard_error": req.error,
        "mail_user": req.mail_user,
        "hold": req.hold,
        "comment": comment,
    }
    fields.update({key: value for key, value in optional.items() if value is not None})
    fields["name"] = job_name(req)
    fields["current_working_directory"] = working_directory
    # sbatch's default output name, anchored in the working directory: without it slurmrestd
    # resolves the default against its own cwd, not the job's. A given pattern is passed as
    # it is: slurmstepd resolves a relative one against the job's working directory
    # (fname_create() in src/slurmd/common/fname.c).
    fields["standard_output"] = req.output or f"{working_directory.rstrip('/')}/slurm-%j.out"
    return fields


# The numbers that Slurm 23.11 (v0.0.40) turned into {set, infinite, number} structs.
_NO_VAL_FIELDS = frozenset({"time_limit", "memory_per_cpu", "memory_per_node"})


def _no_val(number: int) -> dict[str, Any]:
    """A number as the {set, infinite, number} struct of the v0.0.40+ data parsers."""
    return {"set": True, "infinite": False, "number": number}


def _render_environment(api_version: str, environment: dict[str, str]) -> Any:
    """The job environment in the shape ``api_version`` wants."""
    if api_version == "v0.0.38":
        # Slurm 22.05: an object, required and non-empty (else 400 "environment must be set",
        # error 2127).
        return dict(environment)
    # Slurm 23.11 (v0.0.40): a list of "NAME=value" strings (string_array). 25.11 converts an
    # object with a warning; an empty list gets 500 error 2019, and ours is never empty.
    return [f"{name}={value}" for name, value in environment.items()]


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


def _render_options(api_version: str, req: SubmitRequest, now: float) -> dict[str, Any]:
    """The request's fields whose key or type differs between versions."""
    options: dict[str, Any] = {}
    if api_version == "v0.0.38":
        # Slurm 22.05 runs each key through sbatch's own option parser (arg_set_data_*() in
        # src/common/slurm_opt.c):
        # - nodes: the spec's [min, max] array; arg_set_data_nodes() wants exactly two items.
        if req.nodes is not None:
            options["nodes"] = list(req.nodes)
        # - gres: a string; arg_set_data_gres() prepends "gres:" itself.
        if req.gres is not None:
            options["gres"] = req.gres
        # - mail_type: the --mail-type string, read by parse_mail_type().
        if req.mail_type is not None:
            options["mail_type"] = ",".join(req.mail_type)
        # - begin_time: a parse_time() string; the spec says int64, but an epoch is refused
        #   ("Unable to parse time", NOTES.md). Slurm reads it in slurmrestd's time zone and
        #   counts now+N from its own clock.
        if req.begin is not None:
            options["begin_time"] = req.begin.slurm_time()
        return options
    # Slurm 23.11 (v0.0.40): typed by the data parser.
    # - nodes: a string range "N" or "MIN-MAX" (REST-25.11.md).
    if req.nodes is not None:
        low, high = req.nodes
        options["nodes"] = str(low) if low == high else f"{low}-{high}"
    # - no gres key: sbatch --gres becomes tres_per_node, each entry "gres/"-prefixed
    #   (gres_prepend_tres_type() in src/interfaces/gres.c, 23.11).
    if req.gres is not None:
        options["tres_per_node"] = ",".join(f"gres/{entry}" for entry in req.gres.split(","))
    # - mail_type: a list of JOB_MAIL_FLAGS names, with no NONE or ALL; NONE is Slurm's
    #   default, so it is simply not sent.
    if req.mail_type is not None:
        flags: list[str] = []
        for name in req.mail_type:
            flags += [flag for flag in _MAIL_FLAGS[name] if flag not in flags]
        if flags:
            options["mail_type"] = flags
    # - begin_time: a uint64_no_val struct of epoch seconds; hpcapi reads a wall-clock time in
    #   its own time zone, as sbatch does on the submit host.
    if req.begin is not None:
        options["begin_time"] = _no_val(req.begin.epoch(now))
    return options


def _render_submit_body(
    api_version: str,
    script: str,
    fields: dict[str, Any],
    environment: dict[str, str],
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Encode the job for one slurmrestd API version; the one place versions differ."""
    check_api_version(api_version)
    job = _render_numbers(api_version, fields)
    job.update(options or {})
    job["environment"] = _render_environment(api_version, environment)
    if api_version == "v0.0.38":
        # Slurm 22.05: "script" sits beside "job" and is required there.
        return {"script": script, "job": job}
    # Slurm 23.11 (v0.0.40) reads job.script; 24.05 (v0.0.41) deprecates the top-level
    # "script" (25.05's v0.0.43 spec calls it "same as" job.script): send it inside job only.
    # current_working_directory, always sent, became required in 25.11 (else 500 error 2063).
    job["script"] = script
    return {"job": job}


def build_submit_body(
    req: SubmitRequest,
    owner: JobOwner,
    working_directory: str,
    path: str,
    lang: str,
    api_version: str = "v0.0.38",
    *,
    comment: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Return the JSON body for ``POST /slurm/<api_version>/job/submit``.

    ``working_directory`` is the configured one; the request's working-directory replaces it
    as the job's. ``comment`` becomes the job's comment; ``now`` (default: the current time)
    is the submission time that a relative begin counts from.
    """
    check_api_version(api_version)
    if not working_directory.startswith("/"):
        raise ValueError(f"working_directory must be absolute, got {working_directory!r}")
    # _set_submit_dir_env() in src/sbatch/sbatch.c: SLURM_SUBMIT_DIR is where sbatch ran (the
    # configured directory), even with --chdir, which moves only the job.
    environment = build_environment(req, owner, path, lang, submit_dir=working_directory)
    job_directory = req.working_directory or working_directory
    fields = _job_fields(req, job_directory, comment)
    options = _render_options(api_version, req, time.time() if now is None else now)
    return _render_submit_body(api_version, req.script, fields, environment, options)


__all__ = [
    "BASE_ENVIRONMENT_KEYS",
    "DEFAULT_JOB_NAME",
    "job_name",
    "SUPPORTED_API_VERSIONS",
    "JobOwner",
    "build_environment",
    "build_submit_body",
]
