"""The sbatch options: every name sbatch knows, the ones hpcapi carries, and getopt_long's rules.

Apart from hpcapi.client.directives, because the command line's parser imports this module on
every run of ``hpcapi``, ``--help`` and ``--version`` included: NamedTuples and plain functions,
not dataclasses (and the inspect module under them), keep that start-up light.

sbatch reads its command line and its ``#SBATCH`` lines with glibc's ``getopt_long`` over one
table (slurm_option_table_create in src/common/slurm_opt.c, opt_string starting with ``+``), so
hpcapi does the same here: ``getopt_long`` below follows glibc's rules for the cases sbatch can
meet, and ``SBATCH_NAMES`` is sbatch's table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

# getopt_long's has_arg: no_argument, required_argument, optional_argument.
NONE, REQ, OPT = 0, 1, 2


class SbatchName(NamedTuple):
    """One option of sbatch's table: its long name, argument kind and short letter."""

    name: str
    arg: int
    short: str = ""
    # Another entry with the same getopt ``val`` (an alias): getopt_long does not call an
    # abbreviation of both ambiguous, and both set the same thing.
    same_as: str = ""


# Slurm 25.11.7 sbatch's option table, in its order (common_options in src/common/slurm_opt.c,
# the entries with a set_func or set_func_sbatch; names only, not what they do).
SBATCH_NAMES: tuple[SbatchName, ...] = (
    SbatchName("account", REQ, "A"),
    SbatchName("acctg-freq", REQ),
    SbatchName("array", REQ, "a"),
    SbatchName("autocomplete", REQ),
    SbatchName("batch", REQ),
    SbatchName("begin", REQ, "b"),
    SbatchName("bb", REQ),
    SbatchName("bbf", REQ),
    SbatchName("cluster-constraint", REQ),
    SbatchName("chdir", REQ, "D"),
    SbatchName("cluster", REQ),
    SbatchName("clusters", REQ, "M"),
    SbatchName("comment", REQ),
    SbatchName("consolidate-segments", NONE),
    SbatchName("container", REQ),
    SbatchName("container-id", REQ),
    SbatchName("context", REQ),
    SbatchName("contiguous", NONE),
    SbatchName("constraint", REQ, "C"),
    SbatchName("core-spec", REQ, "S"),
    SbatchName("cores-per-socket", REQ),
    SbatchName("cpu-freq", REQ),
    SbatchName("cpus-per-gpu", REQ),
    SbatchName("cpus-per-task", REQ, "c"),
    SbatchName("deadline", REQ),
    SbatchName("delay-boot", REQ),
    SbatchName("dependency", REQ, "d"),
    SbatchName("distribution", REQ, "m"),
    SbatchName("error", REQ, "e"),
    SbatchName("exclude", REQ, "x"),
    SbatchName("exclusive", OPT),
    SbatchName("export", REQ),
    SbatchName("export-file", REQ),
    SbatchName("external", NONE),
    SbatchName("extra", REQ),
    SbatchName("extra-node-info", REQ, "B"),
    SbatchName("get-user-env", NONE),
    SbatchName("gid", REQ),
    SbatchName("gpu-bind", REQ),
    SbatchName("gpu-freq", REQ),
    SbatchName("gpus", REQ, "G"),
    SbatchName("gpus-per-node", REQ),
    SbatchName("gpus-per-socket", REQ),
    SbatchName("gpus-per-task", REQ),
    SbatchName("gres", REQ),
    SbatchName("gres-flags", REQ),
    SbatchName("help", NONE, "h"),
    SbatchName("hint", REQ),
    SbatchName("hold", NONE, "H"),
    SbatchName("ignore-pbs", NONE),
    SbatchName("input", REQ, "i"),
    SbatchName("job-name", REQ, "J"),
    SbatchName("kill-on-invalid-dep", REQ),
    SbatchName("licenses", REQ, "L"),
    SbatchName("mail-type", REQ),
    SbatchName("mail-user", REQ),
    SbatchName("mcs-label", REQ),
    SbatchName("mem", REQ),
    SbatchName("mem-bind", REQ),
    SbatchName("mem-per-cpu", REQ),
    SbatchName("mem-per-gpu", REQ),
    SbatchName("mincpus", REQ),
    SbatchName("network", REQ),
    SbatchName("nice", OPT),
    SbatchName("no-kill", OPT, "k"),
    SbatchName("no-requeue", NONE),
    SbatchName("nodefile", REQ, "F"),
    SbatchName("nodelist", REQ, "w"),
    SbatchName("nodes", REQ, "N"),
    SbatchName("ntasks", REQ, "n"),
    SbatchName("ntasks-per-core", REQ),
    SbatchName("ntasks-per-gpu", REQ),
    SbatchName("ntasks-per-node", REQ),
    SbatchName("ntasks-per-socket", REQ),
    SbatchName("ntasks-per-tres", REQ),
    SbatchName("oom-kill-step", OPT),
    SbatchName("open-mode", REQ),
    SbatchName("output", REQ, "o"),
    SbatchName("overcommit", NONE, "O"),
    SbatchName("oversubscribe", NONE, "s"),
    SbatchName("parsable", NONE),
    SbatchName("partition", REQ, "p"),
    SbatchName("prefer", REQ),
    SbatchName("priority", REQ),
    SbatchName("profile", REQ),
    SbatchName("propagate", OPT),
    SbatchName("qos", REQ, "q"),
    SbatchName("quiet", NONE, "Q"),
    SbatchName("reboot", NONE),
    SbatchName("requeue", OPT),
    SbatchName("resources", REQ),
    SbatchName("reservation", REQ),
    SbatchName("resv-ports", OPT),
    SbatchName("segment", REQ),
    SbatchName("signal", REQ),
    SbatchName("sockets-per-node", REQ),
    SbatchName("spread-job", NONE),
    SbatchName("spread-segments", NONE),
    SbatchName("stepmgr", NONE),
    SbatchName("switches", REQ),
    SbatchName("tasks-per-node", REQ, same_as="ntasks-per-node"),
    SbatchName("test-only", NONE),
    SbatchName("thread-spec", REQ),
    SbatchName("threads-per-core", REQ),
    SbatchName("time", REQ, "t"),
    SbatchName("time-min", REQ),
    SbatchName("tmp", REQ),
    SbatchName("tres-bind", REQ),
    SbatchName("tres-per-task", REQ),
    SbatchName("uid", REQ),
    SbatchName("use-min-nodes", NONE),
    SbatchName("verbose", NONE, "v"),
    SbatchName("version", NONE, "V"),
    SbatchName("usage", NONE),
    SbatchName("wait", NONE, "W"),
    SbatchName("wait-all-nodes", REQ),
    SbatchName("wckey", REQ),
    SbatchName("wrap", REQ),
)

# sbatch acts on these in its first pass over the command line only (sbatch_early_pass in
# slurm_opt.c); in the script's pass slurm_process_option skips them, so an #SBATCH line naming
# one changes nothing.
EARLY_PASS = frozenset({"help", "quiet", "verbose", "version", "usage", "wrap"})
# sbatch options that shape what the client does, not the job; hpcapi has them itself.
CLIENT_OPTIONS = frozenset({"wait", "parsable", "ignore-pbs"})


class SbatchOption(NamedTuple):
    """One sbatch option hpcapi supports, and the API field it becomes."""

    field: str
    long: str
    short: str | None = None
    help: str = ""
    flag: bool = False
    # An optional value (getopt's optional_argument): only in the --opt=value form.
    optional: bool = False


OPTIONS: tuple[SbatchOption, ...] = (
    SbatchOption("partition", "partition", "p", help="partition(s), e.g. quick or a,b"),
    SbatchOption("timelimit", "time", "t", help="time limit, e.g. 30, 2:00:00, 1-12"),
    SbatchOption("ntasks", "ntasks", "n", help="number of tasks"),
    SbatchOption("ntasks-per-node", "ntasks-per-node", help="tasks per node"),
    SbatchOption("ntasks-per-core", "ntasks-per-core", help="tasks per core (1 or 2)"),
    SbatchOption("cpus-per-task", "cpus-per-task", "c", help="CPUs per task"),
    SbatchOption("mem-per-node", "mem", help="memory per node, e.g. 4G"),
    SbatchOption("mem-per-cpu", "mem-per-cpu", help="memory per CPU, e.g. 512M"),
    SbatchOption("dependency", "dependency", "d", help="e.g. afterok:41"),
    SbatchOption("job-name", "job-name", "J", help="job name (default: the script's file name)"),
    SbatchOption("account", "account", "A", help="Slurm account"),
    SbatchOption("qos", "qos", "q", help="quality of service"),
    SbatchOption("nodes", "nodes", "N", help="number of nodes, or min-max"),
    SbatchOption("array", "array", "a", help="job array indexes, e.g. 1-10%%2"),
    SbatchOption("constraint", "constraint", "C", help="node features"),
    SbatchOption("gres", "gres", help="generic resources, e.g. gpu:1"),
    SbatchOption("output", "output", "o", help="stdout file pattern"),
    SbatchOption("error", "error", "e", help="stderr file pattern"),
    SbatchOption("working-directory", "chdir", "D",
                 help="working directory of the job (default: the current one)"),
    SbatchOption("begin", "begin", "b", help="start no earlier than, e.g. now+1hour"),
    SbatchOption("mail-type", "mail-type", help="e.g. END,FAIL"),
    SbatchOption("mail-user", "mail-user", help="where mail goes"),
    SbatchOption("hold", "hold", "H", flag=True, help="submit in held state"),
    SbatchOption(
        "export", "export", help="NAME=value,... (the job starts with a clean environment)"
    ),
    SbatchOption("exclusive", "exclusive", optional=True,
                 help="--exclusive or --exclusive=user|mcs|topo"),
    SbatchOption("requeue", "requeue", optional=True, help="the job may be requeued"),
    SbatchOption("requeue", "no-requeue", flag=True, help="the job is never requeued"),
    SbatchOption("signal", "signal", help="[{R|B}:]<sig_num|sig_name>[@sig_time]"),
    SbatchOption("open-mode", "open-mode", help="append or truncate the output files"),
    SbatchOption("nice", "nice", optional=True, help="--nice (100) or --nice=adjustment"),
    SbatchOption("time-min", "time-min", help="minimum time limit"),
    SbatchOption("input", "input", "i", help="stdin file pattern"),
    SbatchOption("mincpus", "mincpus", help="minimum CPUs per node"),
    SbatchOption("tmp", "tmp", help="minimum temporary disk per node, e.g. 10G"),
    SbatchOption("hint", "hint", help="e.g. compute_bound, nomultithread"),
    SbatchOption("gpus", "gpus", "G", help="[type:]N GPUs for the job"),
    SbatchOption("gpus-per-node", "gpus-per-node", help="[type:]N"),
    SbatchOption("gpus-per-task", "gpus-per-task", help="[type:]N"),
    SbatchOption("cpus-per-gpu", "cpus-per-gpu", help="CPUs per GPU"),
    SbatchOption("mem-per-gpu", "mem-per-gpu", help="memory per GPU, e.g. 8G"),
    SbatchOption("reservation", "reservation", help="reservation name"),
    SbatchOption("nodelist", "nodelist", "w", help="hosts to run on, e.g. n[1-4]"),
    SbatchOption("exclude", "exclude", "x", help="hosts not to run on"),
    SbatchOption("licenses", "licenses", "L", help="licenses, e.g. matlab:2"),
    SbatchOption("wckey", "wckey", help="workload characterization key"),
    SbatchOption("threads-per-core", "threads-per-core", help="threads per core"),
    SbatchOption("cores-per-socket", "cores-per-socket", help="cores per socket"),
    SbatchOption("sockets-per-node", "sockets-per-node", help="sockets per node"),
    SbatchOption("ntasks-per-socket", "ntasks-per-socket", help="tasks per socket"),
    SbatchOption("no-kill", "no-kill", "k", optional=True,
                 help="--no-kill or --no-kill=off: keep the job if a node fails"),
    SbatchOption("wait-all-nodes", "wait-all-nodes", help="0 or 1: start when all nodes booted"),
    SbatchOption("overcommit", "overcommit", "O", flag=True, help="overcommit resources"),
    SbatchOption("contiguous", "contiguous", flag=True, help="contiguous nodes only"),
    SbatchOption("delay-boot", "delay-boot", help="minutes to wait before rebooting nodes"),
    SbatchOption("reboot", "reboot", flag=True, help="reboot the nodes before the job"),
    SbatchOption("oom-kill-step", "oom-kill-step", optional=True,
                 help="--oom-kill-step or --oom-kill-step=0|1 (Slurm 24.11+)"),
    SbatchOption("prefer", "prefer", help="node features preferred, not required"),
    SbatchOption("mcs-label", "mcs-label", help="MCS label of the job"),
    SbatchOption("acctg-freq", "acctg-freq", help="e.g. task=30,energy=60"),
    SbatchOption("cpu-freq", "cpu-freq", help="p1[-p2][:governor] for srun steps"),
    SbatchOption("core-spec", "core-spec", "S", help="specialized cores per node"),
    SbatchOption("thread-spec", "thread-spec", help="specialized threads per node"),
    SbatchOption("deadline", "deadline", help="remove the job if it cannot end by then"),
    SbatchOption("spread-job", "spread-job", flag=True, help="spread over as many nodes"),
    SbatchOption("kill-on-invalid-dep", "kill-on-invalid-dep", help="yes or no"),
    SbatchOption("use-min-nodes", "use-min-nodes", flag=True,
                 help="prefer the minimum node count (Slurm 23.11+)"),
    SbatchOption("extra", "extra", help="extra node constraints (Slurm 23.11+)"),
    SbatchOption("gres-flags", "gres-flags", help="enforce-binding or disable-binding"),
    SbatchOption("oversubscribe", "oversubscribe", "s", flag=True,
                 help="share nodes with other jobs (the last of this and --exclusive wins)"),
    SbatchOption("batch", "batch", help="features of the node the script runs on"),
    SbatchOption("bb", "bb", help="burst buffer specification"),
    SbatchOption("cluster-constraint", "cluster-constraint",
                 help="features a federated cluster must have"),
    SbatchOption("container", "container", help="path of an OCI container bundle"),
    SbatchOption("container-id", "container-id", help="OCI container id (Slurm 23.11+)"),
    SbatchOption("network", "network", help="network specification (Slurm 23.11+)"),
    SbatchOption("mem-bind", "mem-bind", help="e.g. local, verbose,map_mem:0,1"),
    SbatchOption("priority", "priority", help="a job priority, or TOP (operators only)"),
    SbatchOption("profile", "profile", help="none, all or energy,task,lustre,network (23.11+)"),
    SbatchOption("switches", "switches", help="COUNT[@MAX-TIME] leaf switches (23.11+)"),
    SbatchOption("stepmgr", "stepmgr", flag=True, help="a step manager for the job (24.05+)"),
    SbatchOption("segment", "segment", help="segment size, topology/block (24.05+)"),
    SbatchOption("spread-segments", "spread-segments", flag=True,
                 help="segments on separate base blocks (25.11+)"),
    SbatchOption("consolidate-segments", "consolidate-segments", flag=True,
                 help="segments on as few base blocks as possible (25.11+)"),
    SbatchOption("gpus-per-socket", "gpus-per-socket", help="[type:]N GPUs per socket"),
    SbatchOption("gpu-bind", "gpu-bind", help="e.g. closest, single:1, map_gpu:0,1"),
    SbatchOption("gpu-freq", "gpu-freq", help="e.g. high,memory=low"),
    SbatchOption("ntasks-per-gpu", "ntasks-per-gpu", help="tasks per GPU (Slurm 23.11+)"),
    SbatchOption("ntasks-per-tres", "ntasks-per-tres", help="tasks per GPU (Slurm 23.11+)"),
    SbatchOption("tres-bind", "tres-bind", help="e.g. gres/gpu:closest (Slurm 23.11+)"),
    SbatchOption("tres-per-task", "tres-per-task", help="e.g. cpu=2,gres/gpu=1 (Slurm 23.11+)"),
    SbatchOption("extra-node-info", "extra-node-info", "B",
                 help="SOCKETS[:CORES[:THREADS]] per node"),
    SbatchOption("distribution", "distribution", "m",
                 help="task layout, e.g. cyclic, block:cyclic,pack or plane=4"),
)
SUPPORTED = {option.long: option for option in OPTIONS}
# Not carried, and why (sbatch's name: the reason given when refusing it).
REFUSED_REASONS = {
    "comment": "hpcapi keeps the job comment for its idempotency key",
    "autocomplete": "it completes sbatch's own command line (hpcapi completion prints hpcapi's)",
    "cluster": "hpcapi submits to the one cluster its server is set up for",
    "clusters": "hpcapi submits to the one cluster its server is set up for",
    "context": "an SELinux context is not passed through the API",
    "get-user-env": "sbatch allows it to root only",
    "uid": "only root may submit as another user; hpcapi submits as you",
    "gid": "only root may submit as another group; hpcapi submits as you",
    "test-only": "hpcapi submit --dry-run has the server check the job instead",
    "propagate": "the limits are those of the submitting host, which the server cannot see",
    "resv-ports": "slurmrestd's job description has no key for the port count",
    "external": "an external job runs no script, and hpcapi submits batch scripts",
}


class Spec(NamedTuple):
    """One entry of a getopt_long table: a long name, its argument kind, short letter, val."""

    name: str
    arg: int
    short: str
    key: str  # getopt's val: what the option sets (the same for an alias)


def sbatch_specs() -> list[Spec]:
    """sbatch's table as getopt specs, the val of an alias being its original's name."""
    return [Spec(o.name, o.arg, o.short, o.same_as or o.name) for o in SBATCH_NAMES]


class Parsed(NamedTuple):
    """One option found by getopt_long: its spec, value and the words it came from."""

    spec: Spec
    value: str | None
    first_word: int  # the index of its first word
    text: str  # as written, e.g. "--part=x", "-p x", "-n4"


class GetoptResult(NamedTuple):
    """What getopt_long found: the options, where it stopped, and the error it stopped at."""

    options: list[Parsed]
    stop: int  # the index of the first word that is not an option (or len(words))
    error: str | None = None
    error_index: int = -1
    dashdash: bool = False  # it stopped after "--": every word from ``stop`` is a positional


def _long(words: Sequence[str], i: int, table: Sequence[Spec]) -> tuple[Parsed | None, int, str]:
    # glibc's process_long_option: an exact name wins; else a unique prefix, where entries
    # with the same has_arg and val (aliases) do not make it ambiguous.
    word = words[i]
    name, eq, inline = word[2:].partition("=")
    found = next((spec for spec in table if spec.name == name), None)
    if found is None:
        matches = [spec for spec in table if spec.name.startswith(name)]
        if not matches:
            return None, i + 1, f"unrecognized option '{word}'"
        if any((m.arg, m.key) != (matches[0].arg, matches[0].key) for m in matches[1:]):
            names = " ".join(f"'--{m.name}'" for m in matches)
            return None, i + 1, f"option '--{name}' is ambiguous; possibilities: {names}"
        found = matches[0]
    if eq:
        if found.arg == NONE:
            return None, i + 1, f"option '--{found.name}' doesn't allow an argument"
        return Parsed(found, inline, i, word), i + 1, ""
    if found.arg == REQ:
        if i + 1 >= len(words):
            return None, i + 1, f"option '--{found.name}' requires an argument"
        return Parsed(found, words[i + 1], i, f"{word} {words[i + 1]}"), i + 2, ""
    return Parsed(found, None, i, word), i + 1, ""


def getopt_long(words: Sequence[str], table: Sequence[Spec], start: int = 0) -> GetoptResult:
    """Read options from ``words[start:]`` as glibc getopt_long with a ``+`` opt_string.

    It stops at the first word that is not an option (sbatch's POSIX mode) or after ``--``,
    or at the first error (sbatch exits there), as getopt does.
    """
    shorts: dict[str, Spec] = {}
    for entry in table:
        if entry.short and entry.short not in shorts:
            shorts[entry.short] = entry
    options: list[Parsed] = []
    i = start
    while i < len(words):
        word = words[i]
        if word == "--":
            return GetoptResult(options, i + 1, dashdash=True)
        if not word.startswith("-") or word == "-":
            return GetoptResult(options, i)
        if word.startswith("--"):
            parsed, i, error = _long(words, i, table)
            if parsed is None:
                return GetoptResult(options, i, error, i - 1)
            options.append(parsed)
            continue
        # A cluster of short options, "-Hn4": each letter an option until one takes a value.
        first, pos = i, 1
        i += 1
        while pos < len(word):
            letter = word[pos]
            pos += 1
            if letter not in shorts:
                return GetoptResult(options, i, f"invalid option -- '{letter}'", first)
            spec = shorts[letter]
            rest = word[pos:]
            if spec.arg == NONE:
                options.append(Parsed(spec, None, first, f"-{letter}"))
                continue
            if rest:
                options.append(Parsed(spec, rest, first, f"-{letter}{rest}"))
            elif spec.arg == OPT:
                options.append(Parsed(spec, None, first, f"-{letter}"))
            elif i < len(words):
                options.append(Parsed(spec, words[i], first, f"-{letter} {words[i]}"))
                i += 1
            else:
                return GetoptResult(
                    options, i, f"option requires an argument -- '{letter}'", first
                )
            break
    return GetoptResult(options, i)


class CommandLine(NamedTuple):
    """A job command's words split: its own options, positionals, and the sbatch options."""

    own: list[str]  # hpcapi's own options, canonical ("--name" or "--name=value")
    positionals: list[str]
    job: list[Parsed]  # sbatch's options, for hpcapi.client.directives
    arguments: list[str]  # the words after the script, which sbatch gives to the script
    error: str | None = None


def split_command_line(
    words: Sequence[str], own: Iterable[Spec], canonical: dict[str, str], script: bool
) -> CommandLine:
    """Split a submit command's words as sbatch reads its command line, with hpcapi's own
    options (``own``, ``canonical`` giving each key's option string) in the same table.

    With ``script``, the first word that is not an option is the script and sbatch gives the
    words after it to the script as arguments; of those, hpcapi takes only its own options
    that sbatch does not have, spelled in full (``--json``, ``--server=URL``), up to a "--".
    """
    own = list(own)
    own_names = {spec.name for spec in own}
    own_shorts = {spec.short for spec in own if spec.short}
    table = own + [
        Spec(s.name, s.arg, "" if s.short in own_shorts else s.short, s.key)
        for s in sbatch_specs()
        if s.name not in own_names
    ]
    result = CommandLine([], [], [], [])
    start = 0
    while True:
        found = getopt_long(words, table, start)
        for parsed in found.options:
            key = parsed.spec.key
            if key in canonical:
                token = canonical[key]
                result.own.append(token if parsed.value is None else f"{token}={parsed.value}")
            else:
                result.job.append(parsed)
        if found.error is not None:
            return result._replace(error=found.error)
        if found.stop >= len(words):
            return result
        if script:
            result.positionals.append(words[found.stop])
            return _script_arguments(list(words[found.stop + 1:]), own, canonical, result)
        if found.dashdash:
            result.positionals.extend(words[found.stop:])  # after "--", only positionals
            return result
        # Not a script: options may follow the positionals (getopt's permutation).
        result.positionals.append(words[found.stop])
        start = found.stop + 1


def _script_arguments(
    words: list[str], own: list[Spec], canonical: dict[str, str], result: CommandLine
) -> CommandLine:
    """``result`` with the words after the script: hpcapi's own options, the rest arguments."""
    sbatch_names = {name.name for name in SBATCH_NAMES}
    only_ours = {spec.name: spec for spec in own if spec.name not in sbatch_names}
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            result.arguments.extend(words[i:])  # from here on, all the script's, "--" too
            return result
        name, eq, value = word[2:].partition("=")
        spec = only_ours.get(name) if word.startswith("--") else None
        if spec is None:
            result.arguments.append(word)
            i += 1
            continue
        token = canonical[spec.key]
        if spec.arg == NONE:
            if eq:
                return result._replace(error=f"option '--{name}' doesn't allow an argument")
            result.own.append(token)
        elif eq:
            result.own.append(f"{token}={value}")
        elif i + 1 < len(words):
            i += 1
            result.own.append(f"{token}={words[i]}")
        else:
            return result._replace(error=f"option '--{name}' requires an argument")
        i += 1
    return result
