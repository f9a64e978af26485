"""Translation of a validated ``SubmitRequest`` into a slurmrestd job-submission body.

Every difference between slurmrestd API versions lives in ``_render_submit_body``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hpcapi.core.submit import SubmitRequest

DEFAULT_JOB_NAME = "hpcapi"
SUPPORTED_API_VERSIONS = ("v0.0.38",)
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
    """The task count sbatch would request: --ntasks, else --ntasks-per-node on one node."""
    # _opt_verify() in src/sbatch/opt.c (22.05): with --ntasks-per-node and no --ntasks, and no
    # node range, sbatch sets ntasks = min_nodes * ntasks_per_node; min_nodes defaults to 1
    # (arg_reset_nodes() in src/common/slurm_opt.c) and hpcapi never sets a node count.
    if req.ntasks is not None:
        return req.ntasks
    return req.ntasks_per_node


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
    env["SLURM_JOB_NAME"] = req.job_name or DEFAULT_JOB_NAME
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


def _job_fields(req: SubmitRequest, working_directory: str) -> dict[str, Any]:
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
    }
    fields.update({key: value for key, value in optional.items() if value is not None})
    fields["name"] = req.job_name or DEFAULT_JOB_NAME
    fields["current_working_directory"] = working_directory
    # sbatch's default output name, anchored in the working directory: without it slurmrestd
    # resolves the default against its own cwd, not the job's.
    fields["standard_output"] = f"{working_directory.rstrip('/')}/slurm-%j.out"
    return fields


def _render_submit_body(
    api_version: str, script: str, fields: dict[str, Any], environment: dict[str, str]
) -> dict[str, Any]:
    """Encode the job for one slurmrestd API version; the one place versions differ."""
    if api_version == "v0.0.38":
        # Slurm 22.05. "script" sits beside "job"; "environment" is an object and must be
        # non-empty (else 400 "environment must be set", error 2127); numbers are plain ints.
        return {"script": script, "job": {**fields, "environment": environment}}
    # Later versions, to be added here when a site runs them (specs: shared/slurm-openapi/):
    # elif api_version == "v0.0.40":
    #     # Slurm 23.11 (v0.0.39 of 23.02 is skipped). "environment" becomes a list of "K=V"
    #     # strings; "time_limit", "memory_per_cpu" and "memory_per_node" become
    #     # {"set": True, "infinite": False, "number": n} (uint32/uint64_no_val); "job" also
    #     # takes "script", while the top-level "script" is still read.
    # elif api_version in ("v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44"):
    #     # Slurm 24.05 / 24.11 / 25.05 / 25.11: as v0.0.40, but the top-level "script" is
    #     # deprecated, so send it as job["script"] only.
    raise ValueError(
        f"unsupported slurmrestd API version {api_version!r};"
        f" supported: {', '.join(SUPPORTED_API_VERSIONS)}"
    )


def build_submit_body(
    req: SubmitRequest,
    owner: JobOwner,
    working_directory: str,
    path: str,
    lang: str,
    api_version: str = "v0.0.38",
) -> dict[str, Any]:
    """Return the JSON body for ``POST /slurm/<api_version>/job/submit``."""
    if not working_directory.startswith("/"):
        raise ValueError(f"working_directory must be absolute, got {working_directory!r}")
    environment = build_environment(req, owner, path, lang, submit_dir=working_directory)
    fields = _job_fields(req, working_directory)
    return _render_submit_body(api_version, req.script, fields, environment)
