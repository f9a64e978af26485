"""The sbatch options hpcapi supports: the CLI's job options, and the ``#SBATCH`` ones it reads.

Apart from hpcapi.client.directives, because the command line's parser imports this table on
every run of ``hpcapi``, ``--help`` and ``--version`` included: a NamedTuple, not a dataclass,
keeps dataclasses (and the inspect module under it) out of that start-up.
"""

from __future__ import annotations

from typing import NamedTuple


class SbatchOption(NamedTuple):
    """One sbatch option hpcapi supports, and the API field it becomes."""

    field: str
    long: str
    short: str | None = None
    help: str = ""
    flag: bool = False


OPTIONS: tuple[SbatchOption, ...] = (
    SbatchOption("partition", "partition", "p", help="partition (default: the site's default)"),
    SbatchOption("timelimit", "time", "t", help="time limit, e.g. 30, 2:00:00, 1-12"),
    SbatchOption("ntasks", "ntasks", "n", help="number of tasks"),
    SbatchOption("ntasks-per-node", "ntasks-per-node", help="tasks per node"),
    SbatchOption("ntasks-per-core", "ntasks-per-core", help="tasks per core (1 or 2)"),
    SbatchOption("cpus-per-task", "cpus-per-task", "c", help="CPUs per task"),
    SbatchOption("mem-per-node", "mem", help="memory per node, e.g. 4G"),
    SbatchOption("mem-per-cpu", "mem-per-cpu", help="memory per CPU, e.g. 512M"),
    SbatchOption("dependency", "dependency", "d", help="e.g. afterok:41"),
    SbatchOption("job-name", "job-name", "J", help="job name"),
    SbatchOption("account", "account", "A", help="Slurm account"),
    SbatchOption("qos", "qos", "q", help="quality of service"),
    SbatchOption("nodes", "nodes", "N", help="number of nodes, or min-max"),
    SbatchOption("array", "array", "a", help="job array indexes, e.g. 1-10%%2"),
    SbatchOption("constraint", "constraint", "C", help="node features"),
    SbatchOption("gres", "gres", help="generic resources, e.g. gpu:1"),
    SbatchOption("output", "output", "o", help="stdout file pattern"),
    SbatchOption("error", "error", "e", help="stderr file pattern"),
    SbatchOption("working-directory", "chdir", "D", help="working directory of the job"),
    SbatchOption("begin", "begin", "b", help="start no earlier than, e.g. now+1hour"),
    SbatchOption("mail-type", "mail-type", help="e.g. END,FAIL"),
    SbatchOption("mail-user", "mail-user", help="where mail goes"),
    SbatchOption("hold", "hold", "H", flag=True, help="submit in held state"),
    SbatchOption(
        "export", "export", help="NAME=value,... (the job starts with a clean environment)"
    ),
)
