"""The things hpcapi's layers pass to each other: the caller, a job asked for, a job reported.

Version-independent values only. ``hpcapi.core`` builds a ``JobDescription``; ``hpcapi.slurm``
encodes it for one slurmrestd API version and reads Slurm's records into ``Job``,
``Partition`` and ``Node``. This module imports nothing of hpcapi's but the protocol,
so that every layer can import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from hpcapi.protocol import FINISHED_STATES


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: their principal and the local account they act as."""

    principal: str
    local_user: str
    uid: int
    gid: int
    home: str
    shell: str


@dataclass(frozen=True)
class BeginTime:
    """A validated sbatch --begin time, in one of three forms (``resolve_begin`` in
    ``hpcapi.core.slurmsyntax`` turns it into an instant, given the submission time).

    - ``delay_seconds``: now[{+|-}N], seconds after (negative: before) the submission;
    - ``local_time``: a date with its year, at a time of day or midnight;
    - ``time_of_day`` with at most one of ``month_day`` (a date without its year) and
      ``days_ahead`` (today, tomorrow); alone, the next such time of day.
    """

    local_time: datetime | None = None  # naive, in the local time zone as sbatch reads it
    delay_seconds: int | None = None
    time_of_day: time | None = None  # local wall-clock time; the date comes from the rest
    month_day: tuple[int, int] | None = None  # (month, day): this year's, else next year's
    days_ahead: int | None = None  # 0 today, 1 tomorrow (calendar days in the local zone)

    def __post_init__(self) -> None:
        forms = [self.local_time, self.delay_seconds, self.time_of_day]
        dates = [self.month_day, self.days_ahead]
        allowed_dates = 0 if self.time_of_day is None else 1
        given = sum(v is not None for v in forms), sum(v is not None for v in dates)
        if given[0] != 1 or given[1] > allowed_dates:
            # A programming error, not a request's: parse_begin builds only these shapes.
            raise ValueError(f"not a BeginTime form: {self!r}")


@dataclass(frozen=True)
class JobDescription:
    """A batch job as hpcapi asks Slurm for it, in plain values (minutes, MB, sbatch names).

    Optional fields are None when not asked for; ``hpcapi.slurm.submit_body`` encodes the
    description for the API version in use."""

    script: str
    name: str
    partition: str
    working_directory: str
    standard_output: str
    environment: tuple[tuple[str, str], ...]  # (NAME, value), in order
    tasks: int | None = None
    tasks_per_core: int | None = None
    tasks_per_node: int | None = None
    cpus_per_task: int | None = None
    memory_per_cpu: int | None = None  # MB
    memory_per_node: int | None = None  # MB
    time_limit: int | None = None  # minutes
    dependency: str | None = None  # Slurm's dependency expression
    account: str | None = None
    qos: str | None = None
    array: str | None = None
    constraints: str | None = None
    standard_error: str | None = None
    mail_user: str | None = None
    hold: bool | None = None
    comment: str | None = None
    nodes: tuple[int, int] | None = None  # (min, max)
    gres: str | None = None  # "gpu:1,gpu:tesla:2", without gres: prefixes
    mail_types: tuple[str, ...] | None = None  # sbatch --mail-type names, upper case
    begin: BeginTime | None = None
    exclusive: str | None = None  # "exclusive" (sbatch --exclusive alone), "user", "mcs", "topo"
    requeue: bool | None = None
    signal_number: int | None = None  # sbatch --signal: the signal,
    signal_delay: int | None = None  # seconds before the end,
    signal_batch_only: bool = False  # B: to the batch shell only,
    signal_reservation: bool = False  # R: also at the reservation's end
    open_mode: str | None = None  # "append" or "truncate"
    nice: int | None = None
    time_minimum: int | None = None  # minutes
    standard_input: str | None = None
    minimum_cpus_per_node: int | None = None
    temporary_disk: int | None = None  # MB per node
    gpus: str | None = None  # "[type:]N" per job
    gpus_per_node: str | None = None
    gpus_per_task: str | None = None
    cpus_per_gpu: int | None = None
    memory_per_gpu: int | None = None  # MB
    reservation: str | None = None
    required_nodes: tuple[str, ...] | None = None  # hostlist items, e.g. ("cn[01-04]",)
    excluded_nodes: tuple[str, ...] | None = None
    licenses: str | None = None
    wckey: str | None = None
    threads_per_core: int | None = None
    cores_per_socket: int | None = None
    sockets_per_node: int | None = None
    tasks_per_socket: int | None = None  # sbatch --ntasks-per-socket
    no_kill: bool | None = None  # sbatch --no-kill: True, the job survives a node's failure
    wait_all_nodes: bool | None = None
    overcommit: bool | None = None
    contiguous: bool | None = None
    delay_boot: int | None = None  # seconds
    reboot: bool | None = None
    oom_kill_step: int | None = None  # 0 or 1; None: slurm.conf's OOMKillStep applies
    prefer: str | None = None  # a feature expression the scheduler prefers
    mcs_label: str | None = None
    account_gather_frequency: str | None = None  # sbatch --acctg-freq
    cpu_frequency: str | None = None  # sbatch --cpu-freq
    core_specification: int | None = None  # sbatch --core-spec
    thread_specification: int | None = None  # sbatch --thread-spec
    deadline: BeginTime | None = None
    spread_job: bool | None = None
    kill_on_invalid_dependency: bool | None = None  # None: slurm.conf's default
    use_min_nodes: bool | None = None
    extra: str | None = None
    gres_flags: str | None = None  # "enforce-binding" or "disable-binding"
    distribution: str | None = None  # sbatch --distribution as verify_dist_type() reads it
    oversubscribe: bool | None = None  # sbatch --oversubscribe (never beside exclusive)
    arguments: tuple[str, ...] | None = None  # the script's $1, $2, ... (argv after argv[0])
    batch_features: str | None = None  # sbatch --batch
    burst_buffer: str | None = None  # sbatch --bb
    cluster_constraint: str | None = None
    container: str | None = None
    container_id: str | None = None
    network: str | None = None
    # sbatch --mem-bind: slurm_xstr_mem_bind_type()'s names ("verbose", "map_mem", ...) and
    # the expanded map or mask list.
    memory_binding_names: tuple[str, ...] | None = None
    memory_binding_values: str | None = None
    priority: int | None = None
    profile: tuple[str, ...] | None = None  # ACCT_GATHER_PROFILE names: ("ENERGY", "TASK")
    required_switches: int | None = None
    wait_for_switch: int | None = None  # seconds
    stepmgr: bool | None = None
    segment_size: int | None = None
    spread_segments: bool | None = None
    consolidate_segments: bool | None = None
    gpus_per_socket: str | None = None  # "[type:]N"
    gpu_binding: str | None = None  # sbatch --gpu-bind, e.g. "closest"
    gpu_frequency: str | None = None  # sbatch --gpu-freq, e.g. "high,memory=low"
    tasks_per_gpu: int | None = None  # sbatch --ntasks-per-gpu
    tres_bind: str | None = None  # sbatch --tres-bind, with the GPU binding it lacks
    # sbatch's argv[0], the script's full path: slurmctld keeps it as the job's Command; None,
    # as for a script sbatch read from stdin, shows "(null)".
    command: str | None = None
    # 23.11+ TRES syntax, as 25.11's sbatch makes it: "cpu=N,gres/gpu:M"; None: built from
    # gpus_per_task by the slurm layer, or not sent.
    tres_per_task: str | None = None
    submitted_at: float = 0.0  # the time a relative begin counts from (epoch seconds)


@dataclass(frozen=True)
class Job:
    """One job as hpcapi reports it; times are epoch seconds, None when not (yet) known.

    A running job's end_time is its expected end (start plus limit), as Slurm reports it."""

    job_id: int
    user: str
    name: str
    partition: str
    state: str
    reason: str | None
    submit_time: int | None
    start_time: int | None
    end_time: int | None
    exit_code: int | None
    signal: int | None
    source: str  # "live" (slurmctld) or "accounting" (slurmdbd)
    time_limit: int | None = None  # minutes; None when unlimited or unknown
    nodes: str | None = None  # Slurm node list, e.g. "localhost" or "cn[01-04]"
    output: str | None = None  # raw stdout pattern, e.g. "/home/alice/slurm-%j.out"
    error: str | None = None  # raw stderr pattern; the output's when Slurm has none
    output_path: str | None = None  # the file Slurm made of the pattern, where it says
    error_path: str | None = None  # likewise for stderr (the output's when stderr has none)
    working_directory: str | None = None
    comment: str | None = None  # the job's own comment (not the admin or system one)
    array_job_id: int | None = None  # the array's master job id, for array tasks only
    array_task_id: int | None = None
    # The task ids a live array record still holds pending ("1-2%1"): Slurm keeps one record
    # for an array's pending tasks, under the array's own job id.
    array_pending: str | None = None

    @property
    def finished(self) -> bool:
        """True once the job is in a final state."""
        return self.state in FINISHED_STATES


@dataclass(frozen=True)
class Partition:
    """One partition as hpcapi reports it; times in minutes, None when unlimited or unset."""

    name: str
    # None when slurmrestd does not say (Slurm 23.11 and later give no partition flags).
    default: bool | None
    state: str
    max_time: int | None
    default_time: int | None
    max_nodes: int | None
    total_nodes: int | None
    total_cpus: int | None


@dataclass(frozen=True)
class Node:
    """One compute node as Slurm describes it: what it can give a job, and its state."""

    name: str
    real_memory: int | None  # MB
    partitions: tuple[str, ...]
    # The base state first, then its flags: ("IDLE",), ("MIXED", "DRAIN").
    state: tuple[str, ...] = ()
    cpus: int | None = None
    features: tuple[str, ...] = ()  # what constraint= can ask for
    gres: str = ""  # generic resources, e.g. "gpu:2", what gres= can ask for
    reason: str | None = None  # why an administrator drained or downed it
