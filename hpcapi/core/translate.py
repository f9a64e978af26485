"""Translation of a validated ``SubmitRequest`` into the job hpcapi asks Slurm for.

``describe_job`` gives a version-independent ``JobDescription``, with what sbatch would add (its
environment variables, its default output file); ``hpcapi.slurm.submit_body`` encodes it for
the slurmrestd API version in use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hpcapi.core.submit import SubmitRequest
from hpcapi.model import Identity, JobDescription

DEFAULT_JOB_NAME = "hpcapi"


@dataclass(frozen=True)
class SbatchRules:
    """What the cluster's sbatch release adds to a job beyond its options, so that an hpcapi
    job is the one that release's sbatch would make (hpcapi.slurm.versions picks them)."""

    # _opt_verify() setenv("SLURM_JOB_NAME") (22.05); 25.11's sbatch sets no such variable.
    job_name_variable: bool = True
    # 22.05's _opt_verify() derives a task count from --ntasks-per-node alone; 25.11's
    # "massage the numbers" skips any job with --ntasks-per-node.
    tasks_from_tasks_per_node: bool = True
    # 25.11: --cpus-per-task is also tres_per_task "cpu=N" (slurm_option_update_tres_per_task),
    # which set_env_from_opts() copies into SLURM_TRES_PER_TASK.
    cpus_in_tres_per_task: bool = False
    # 25.11's set_env_from_opts(): the variables that make mpirun's srun an external launcher.
    launcher_variables: bool = False
    # 25.11's set_env_from_opts() has --gpu-bind as SLURM_TRES_BIND "gres/gpu:..." and
    # --gpus-per-task only in SLURM_TRES_PER_TASK; 22.05 sets SLURM_GPU_BIND and
    # SLURM_GPUS_PER_TASK (measured on 22.05.8 with the dev stack's GPUs).
    gpu_bind_as_tres: bool = False


SBATCH_22_05 = SbatchRules()
SBATCH_25_11 = SbatchRules(job_name_variable=False, tasks_from_tasks_per_node=False,
                           cpus_in_tres_per_task=True, launcher_variables=True,
                           gpu_bind_as_tres=True)

# set_env_from_opts() in src/common/env.c (25.11): env_array_append, so a value the job's
# environment already has is kept; the HYDRA pairs only when no other bootstrap is chosen.
_LAUNCHER_VARIABLES = (
    ("OMPI_MCA_plm_slurm_args", "--external-launcher"),
    ("PRTE_MCA_plm_slurm_args", "--external-launcher"),
)
_HYDRA_BOOTSTRAPS = (
    ("HYDRA_BOOTSTRAP", "HYDRA_LAUNCHER_EXTRA_ARGS"),
    ("I_MPI_HYDRA_BOOTSTRAP", "I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS"),
)


def job_name(req: SubmitRequest) -> str:
    """The name the job of ``req`` gets in Slurm."""
    return req.job_name or DEFAULT_JOB_NAME


# The only variables outside SLURM_* a job environment ever gets from hpcapi.
BASE_ENVIRONMENT_KEYS = frozenset({"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG"})


# INFINITE16: what verify_hint() puts in ntasks_per_core for "multithread".
UNLIMITED_TASKS_PER_CORE = 0xFFFF


@dataclass(frozen=True)
class _Layout:
    """The per-core, per-socket and per-node counts sbatch sends, after --hint."""

    tasks_per_core: int | None
    threads_per_core: int | None
    cores_per_socket: int | None
    sockets_per_node: int | None


def _layout(req: SubmitRequest) -> _Layout:
    """The counts of ``req``; a hint replaces them as verify_hint() does in sbatch."""
    # _opt_verify() in src/sbatch/opt.c runs verify_hint() on the submit host and sends only
    # its results, never the hint; submit.py refuses a hint beside the counts it would reset.
    if req.hint is None:
        return _Layout(
            req.ntasks_per_core, req.threads_per_core, req.cores_per_socket, req.sockets_per_node
        )
    tasks = threads = cores = sockets = None
    for name in req.hint:  # verify_hint() in src/common/proc_args.c, in the order given
        if name == "compute_bound":
            sockets = cores = None
            threads = 1
        elif name == "memory_bound":
            cores = threads = 1
        elif name == "multithread":
            threads = None
            tasks = UNLIMITED_TASKS_PER_CORE
        else:  # nomultithread
            threads = 1
    return _Layout(tasks, threads, cores, sockets)


def _effective_ntasks(req: SubmitRequest, rules: SbatchRules = SBATCH_22_05) -> int | None:
    """The task count sbatch would request: --ntasks, else --ntasks-per-node times --nodes."""
    # _opt_verify() in src/sbatch/opt.c (22.05): with --ntasks-per-node and no --ntasks, and no
    # node range, sbatch sets ntasks = min_nodes * ntasks_per_node; min_nodes defaults to 1
    # (arg_reset_nodes() in src/common/slurm_opt.c). With a range MIN-MAX it derives nothing.
    if req.ntasks is not None:
        return req.ntasks
    if req.ntasks_per_node is not None:
        if not rules.tasks_from_tasks_per_node:
            return None
        low, high = req.nodes or (1, 1)
        return low * req.ntasks_per_node if low == high else None
    # "massage the numbers" in _opt_verify(): with --nodes N (not a range) and no task count,
    # sbatch asks for N tasks times sockets-per-node, cores-per-socket and threads-per-core
    # (after --hint), and sends that count only when one of those three is given.
    # -B (extra_set) counts as --nodes 1 there.
    layout = _layout(req)
    counts = [layout.sockets_per_node, layout.cores_per_socket, layout.threads_per_core]
    given = [count for count in counts if count is not None]
    nodes = req.nodes or ((1, 1) if req.extra_node_info is not None else None)
    if nodes is None or nodes[0] != nodes[1] or not given:
        return None
    return nodes[0] * math.prod(given)


def _tres_per_task(req: SubmitRequest, rules: SbatchRules) -> str | None:
    """25.11's tres_per_task: "cpu=N" for --cpus-per-task first, then the --gpus-per-task
    entries as "gres/gpu[:type]=N" (slurm_option_update_tres_per_task(), which puts each new
    entry first: measured "cpu=1,gres/gpu=1" on 25.11.7)."""
    if req.tres_per_task is not None:
        return req.tres_per_task.text  # --tres-per-task as written (refused on 22.05)
    if not rules.cpus_in_tres_per_task:
        return None
    entries = [f"cpu={req.cpus_per_task}"] if req.cpus_per_task is not None else []
    if req.gpus_per_task is not None:
        for entry in reversed(req.gpus_per_task.split(",")):
            kind, _, count = entry.rpartition(":")
            entries.append(f"gres/gpu:{kind}={count}" if kind else f"gres/gpu={count}")
    return ",".join(entries) or None


def _gpu_binding(req: SubmitRequest, rules: SbatchRules) -> str | None:
    """--gpu-bind, or 25.11's implicit "per_task:N" for --gpus-per-task (the GPUs per task
    of every type together: _implicitly_bind_tres_per_task() in src/common/slurm_opt.c)."""
    if req.gpu_bind is not None or not rules.gpu_bind_as_tres or req.gpus_per_task is None:
        return req.gpu_bind
    if req.tres_bind is not None and "gres/gpu" in req.tres_bind:
        return None  # bound by --tres-bind
    total = sum(int(entry.rpartition(":")[2]) for entry in req.gpus_per_task.split(","))
    return f"per_task:{total}"


def _tres_bind(req: SubmitRequest, rules: SbatchRules) -> str | None:
    """The job's tres_bind: --tres-bind, then "+" the GPU binding that is not in it."""
    binding = _gpu_binding(req, rules)
    gpu = f"gres/gpu:{binding}" if binding is not None else None
    if req.tres_bind is None:
        return gpu
    return f"{req.tres_bind}+{gpu}" if gpu else req.tres_bind


def build_environment(
    req: SubmitRequest,
    owner: Identity,
    path: str,
    lang: str,
    submit_dir: str | None = None,
    rules: SbatchRules = SBATCH_22_05,
) -> dict[str, str]:
    """Return the job's clean environment plus the SLURM_* variables sbatch would set."""
    # Built from nothing: the API server's own os.environ must never leak into a user's job.
    env = {
        "PATH": path,
        "HOME": owner.home,
        "USER": owner.local_user,
        "LOGNAME": owner.local_user,
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
    if rules.job_name_variable:
        env["SLURM_JOB_NAME"] = job_name(req)
    # _opt_verify(): setenvf("SLURM_CONTAINER") and ("SLURM_CONTAINER_ID") when given.
    if req.container is not None:
        env["SLURM_CONTAINER"] = req.container
    if req.container_id is not None:
        env["SLURM_CONTAINER_ID"] = req.container_id
    # _opt_verify(): setenvfs("SLURM_JOB_DEPENDENCY=%s", opt.dependency).
    if req.dependency is not None:
        env["SLURM_JOB_DEPENDENCY"] = req.dependency.expression
    # _opt_verify() fills het_job_env; set_envs() in src/sbatch/opt.c writes it into the job
    # description's environment, in this order.
    if req.cpus_per_task is not None:
        env["SLURM_CPUS_PER_TASK"] = str(req.cpus_per_task)
    ntasks = _effective_ntasks(req, rules)
    if ntasks is not None:
        env["SLURM_NPROCS"] = str(ntasks)  # kept by sbatch "for old scripts"
        env["SLURM_NTASKS"] = str(ntasks)
    layout = _layout(req)
    if layout.tasks_per_core is not None:
        env["SLURM_NTASKS_PER_CORE"] = str(layout.tasks_per_core)
    if req.ntasks_per_node is not None:
        env["SLURM_NTASKS_PER_NODE"] = str(req.ntasks_per_node)
    # _opt_verify(): --ntasks-per-tres's variable if given, else --ntasks-per-gpu's.
    if req.ntasks_per_tres is not None:
        env["SLURM_NTASKS_PER_TRES"] = str(req.ntasks_per_tres)
    elif req.ntasks_per_gpu is not None:
        env["SLURM_NTASKS_PER_GPU"] = str(req.ntasks_per_gpu)
    if req.ntasks_per_socket is not None:
        env["SLURM_NTASKS_PER_SOCKET"] = str(req.ntasks_per_socket)
    # set_envs() (25.11) writes SLURM_THREADS_PER_CORE last, after --hint was applied.
    if layout.threads_per_core is not None:
        env["SLURM_THREADS_PER_CORE"] = str(layout.threads_per_core)
    # verify_hint() without a cpu_bind_type (sbatch's call) does setenv("SLURM_HINT", arg) in
    # sbatch's own environment, which becomes the job's; srun in the job reads it as --hint.
    if req.hint is not None:
        env["SLURM_HINT"] = ",".join(req.hint)
    if req.mem_bind is not None:
        # _opt_verify() (opt.c): the binding's names and list, and whether it is verbose.
        env["SLURM_MEM_BIND"] = req.mem_bind.text
        env["SLURM_MEM_BIND_VERBOSE"] = "verbose" if req.mem_bind.verbose else "quiet"
    if req.distribution is not None:
        # set_envs(): SLURM_DISTRIBUTION in set_distribution()'s form, a plane's size apart.
        env["SLURM_DISTRIBUTION"] = req.distribution.name
        if req.distribution.plane_size is not None:
            env["SLURM_DIST_PLANESIZE"] = str(req.distribution.plane_size)
    tres_per_task = _tres_per_task(req, rules)
    if tres_per_task is not None:
        env["SLURM_TRES_PER_TASK"] = tres_per_task
    # The GPU options as given (set_env_from_opts() in src/common/env.c, 25.11; 22.05 alike).
    gpu_variables: tuple[tuple[str, object], ...] = (
        ("SLURM_CPUS_PER_GPU", req.cpus_per_gpu), ("SLURM_GPUS", req.gpus),
        ("SLURM_GPU_FREQ", req.gpu_freq), ("SLURM_GPUS_PER_NODE", req.gpus_per_node),
        ("SLURM_GPUS_PER_SOCKET", req.gpus_per_socket), ("SLURM_MEM_PER_GPU", req.mem_per_gpu_mb),
    )
    if rules.gpu_bind_as_tres:
        gpu_variables += (("SLURM_TRES_BIND", _tres_bind(req, rules)),)
    else:
        gpu_variables += (("SLURM_GPUS_PER_TASK", req.gpus_per_task),
                          ("SLURM_GPU_BIND", req.gpu_bind))
    for name, value in gpu_variables:
        if value is not None:
            env[name] = str(value)
    if rules.launcher_variables:
        for name, value in _LAUNCHER_VARIABLES:
            env.setdefault(name, value)
        for bootstrap, extra in _HYDRA_BOOTSTRAPS:
            if env.get(bootstrap, "slurm") == "slurm":
                env.setdefault(bootstrap, "slurm")
                env.setdefault(extra, "--external-launcher")
    # None of the other new options (exclusive, requeue, signal, open-mode, nice, time-min,
    # input, mincpus, tmp, gpus*, cpus/mem-per-gpu, reservation, nodelist, exclude,
    # licenses, wckey, sockets/cores-per-*) has a variable sbatch sets; slurmd sets the job's
    # own ones (SLURM_GPUS_ON_NODE, SLURM_JOB_RESERVATION, ...) from the job record.
    return env


# JobDescription fields taken as they are from SubmitRequest fields (Slurm's names <- hpcapi's).
_FROM_REQUEST = {
    "tasks_per_node": "ntasks_per_node",
    "cpus_per_task": "cpus_per_task", "memory_per_cpu": "mem_per_cpu_mb",
    "memory_per_node": "mem_per_node_mb", "time_limit": "time_limit_minutes",
    "account": "account", "qos": "qos", "array": "array", "constraints": "constraint",
    "standard_error": "error", "mail_user": "mail_user", "hold": "hold", "nodes": "nodes",
    "gres": "gres", "mail_types": "mail_type", "begin": "begin",
    "exclusive": "exclusive", "requeue": "requeue", "open_mode": "open_mode", "nice": "nice",
    "time_minimum": "time_min_minutes", "standard_input": "input",
    "temporary_disk": "tmp_mb", "gpus": "gpus", "gpus_per_node": "gpus_per_node",
    "gpus_per_task": "gpus_per_task", "cpus_per_gpu": "cpus_per_gpu",
    "memory_per_gpu": "mem_per_gpu_mb", "reservation": "reservation",
    "required_nodes": "nodelist", "excluded_nodes": "exclude", "licenses": "licenses",
    "wckey": "wckey", "command": "script_path", "tasks_per_socket": "ntasks_per_socket",
    "no_kill": "no_kill", "wait_all_nodes": "wait_all_nodes", "overcommit": "overcommit",
    "contiguous": "contiguous", "delay_boot": "delay_boot_seconds", "reboot": "reboot",
    "oom_kill_step": "oom_kill_step", "prefer": "prefer", "mcs_label": "mcs_label",
    "account_gather_frequency": "acctg_freq", "cpu_frequency": "cpu_freq",
    "core_specification": "core_spec", "thread_specification": "thread_spec",
    "deadline": "deadline", "spread_job": "spread_job",
    "kill_on_invalid_dependency": "kill_on_invalid_dep", "use_min_nodes": "use_min_nodes",
    "extra": "extra", "gres_flags": "gres_flags", "oversubscribe": "oversubscribe",
    "arguments": "script_arguments", "batch_features": "batch", "burst_buffer": "bb",
    "cluster_constraint": "cluster_constraint", "container": "container",
    "container_id": "container_id", "network": "network",
    "profile": "profile", "stepmgr": "stepmgr", "segment_size": "segment",
    "spread_segments": "spread_segments", "consolidate_segments": "consolidate_segments",
    "gpus_per_socket": "gpus_per_socket",
    "gpu_frequency": "gpu_freq",
}  # fmt: skip


def describe_job(
    req: SubmitRequest,
    owner: Identity,
    working_directory: str,
    path: str,
    lang: str,
    *,
    comment: str | None = None,
    now: float,
    rules: SbatchRules = SBATCH_22_05,
) -> JobDescription:
    """The job ``req`` asks for, run by ``owner``.

    ``working_directory`` is the configured one; the request's working-directory replaces it
    as the job's. ``comment`` becomes the job's comment; ``now`` is the submission time that a
    relative begin counts from.
    """
    if not working_directory.startswith("/"):
        raise ValueError(f"working_directory must be absolute, got {working_directory!r}")
    # _set_submit_dir_env() in src/sbatch/sbatch.c: SLURM_SUBMIT_DIR is where sbatch ran (the
    # client's submit-directory, else the configured directory), even with --chdir, which
    # moves only the job.
    submit_dir = req.submit_directory or working_directory
    environment = build_environment(req, owner, path, lang, submit_dir=submit_dir, rules=rules)
    job_directory = req.working_directory or working_directory
    # sbatch's default names (man sbatch, "--output"): "slurm-%A_%a.out" for a job array,
    # "slurm-%j.out" for any other job.
    default_output = "slurm-%A_%a.out" if req.array is not None else "slurm-%j.out"
    layout = _layout(req)
    signal = req.signal
    return JobDescription(
        script=req.script,
        name=job_name(req),
        partition=req.partition,
        working_directory=job_directory,
        # sbatch's default output name, anchored in the working directory: without it
        # slurmrestd resolves the default against its own cwd, not the job's. A given pattern
        # is passed as it is: slurmstepd resolves a relative one against the job's working
        # directory (fname_create() in src/slurmd/common/fname.c).
        standard_output=req.output or f"{job_directory.rstrip('/')}/{default_output}",
        environment=tuple(environment.items()),
        tasks=_effective_ntasks(req, rules),
        tres_per_task=_tres_per_task(req, rules),
        dependency=req.dependency.expression if req.dependency is not None else None,
        comment=comment,
        submitted_at=now,
        tasks_per_core=layout.tasks_per_core,
        threads_per_core=layout.threads_per_core,
        cores_per_socket=layout.cores_per_socket,
        sockets_per_node=layout.sockets_per_node,
        # _opt_verify(): a --mincpus below --cpus-per-task is raised to it.
        minimum_cpus_per_node=(
            None if req.mincpus is None else max(req.mincpus, req.cpus_per_task or 0)
        ),
        signal_number=signal.number if signal is not None else None,
        signal_delay=signal.delay if signal is not None else None,
        signal_batch_only=signal is not None and signal.batch_only,
        signal_reservation=signal is not None and signal.reservation,
        distribution=req.distribution.request if req.distribution is not None else None,
        gpu_binding=_gpu_binding(req, rules),
        tres_bind=_tres_bind(req, rules) if req.tres_bind is not None else None,
        tasks_per_gpu=req.ntasks_per_tres or req.ntasks_per_gpu,
        # slurm_opt_create_job_desc(): a hold is priority 0 whatever --priority says, and
        # --priority=0 sends nothing.
        priority=None if req.hold else (req.priority or None),
        memory_binding_names=req.mem_bind.names if req.mem_bind is not None else None,
        memory_binding_values=req.mem_bind.values if req.mem_bind is not None else None,
        required_switches=req.switches.count if req.switches is not None else None,
        wait_for_switch=req.switches.wait_seconds if req.switches is not None else None,
        **{field: getattr(req, name) for field, name in _FROM_REQUEST.items()},
    )
