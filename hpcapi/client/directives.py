"""Turn a batch script's ``#SBATCH`` directives into hpcapi submit fields, as sbatch reads them.

Each rule is sbatch's own (Slurm 25.11.7, src/sbatch/opt.c and src/common/slurm_opt.c):

- ``_opt_batch_script``: a directive is a line starting with ``#SBATCH`` (or ``#SLURM``) at its
  very first character, in the leading block of the script; the first line with anything but
  blanks before a ``#`` (a command) ends the block.
- ``get_argument``: words split on blanks; quotes group, a backslash takes the next character
  as it is, a ``#`` outside quotes ends the line; an unmatched quote is fatal.
- The words of all directive lines form one argv that ``getopt_long`` reads against sbatch's
  whole option table (hpcapi.client.options): unique prefixes of long names are accepted, an
  option taking a value takes the next word even from the next line, and the first word that
  is not an option is "Invalid directive found in batch script".
- The command line is read after the script, with the same rules; the later value wins.

hpcapi then carries what it can and refuses the rest by name, never submitting a job that
differs from sbatch's: ``decide`` returns the fields and the refusals, for people and for a
comparison with the real sbatch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from hpcapi.client.options import (
    CLIENT_OPTIONS,
    EARLY_PASS,
    OPTIONS,
    REFUSED_REASONS,
    SUPPORTED,
    GetoptResult,
    Parsed,
    getopt_long,
    sbatch_specs,
)

__all__ = [
    "OPTIONS", "Decision", "DirectiveError", "Refusal", "build_fields", "decide",
    "parse_directives", "parse_export", "read_script", "split_arguments",
]

# C's isspace() in the C locale: sbatch works on bytes.
SPACE = " \t\n\v\f\r"
MAGIC = "#SBATCH"
MAGIC_OLD = "#SLURM"
# sbatch's xlate.c scans for these anywhere in the first 100 non-comment lines (a line not
# starting with "#"), #BSUB first; unless --ignore-pbs, it translates what it finds.
XLATE_MAGICS = ("#BSUB", "#PBS")
XLATE_LINES = 100
MEMORY_FIELDS = ("mem-per-node", "mem-per-cpu", "mem-per-gpu")
# sbatch's NICE_OFFSET - 3 (slurm.h, arg_set_nice).
NICE_LIMIT = 0x80000000 - 3
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRTOLL = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")

# Why a submit stops: always (sbatch refuses too), or unless --ignore-unsupported/--ignore-pbs.
INVALID, UNSUPPORTED, PBS = "invalid", "unsupported", "pbs"


class Refusal(NamedTuple):
    """One thing in the script or command line that hpcapi will not submit as it stands."""

    line: int | None  # None: the command line
    message: str
    kind: str = INVALID

    def __str__(self) -> str:
        where = "command line" if self.line is None else f"line {self.line}"
        return f"{where}: {self.message}"


class Decision(NamedTuple):
    """What hpcapi makes of a script and command line: the fields, or why it will not."""

    fields: dict[str, Any]
    refusals: list[Refusal]  # each one stops the submit
    warnings: list[str]
    client: frozenset[str] = frozenset()  # hpcapi behaviours the script asks for: wait, parsable


class DirectiveError(ValueError):
    """A script or command line hpcapi will not submit; ``refusals`` say why."""

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__("; ".join(str(refusal) for refusal in refusals))
        self.refusals = list(refusals)


class ArgumentError(ValueError):
    """get_argument's fatal errors: an unmatched quote, a word starting with ':'."""


class Word(NamedTuple):
    """One word of a directive line, and the line it is on."""

    text: str
    line: int


CUT = -1  # _get_argument's position after a "hetjob" word: nothing more on the line


def _get_argument(text: str, pos: int) -> tuple[str | None, int]:
    """One word of ``text`` from ``pos``, as sbatch's get_argument reads it."""
    size = len(text)
    while pos < size and text[pos] in SPACE:
        pos += 1
    for separator in ("packjob", "hetjob"):
        end = pos + len(separator)
        if text[pos:end].lower() == separator and (end == size or text[end] in SPACE):
            # get_argument blanks the word out and then finds no argument: the rest of the
            # line is dropped (a separator that starts the line ends the job's directives).
            return None, CUT
    if text[pos:pos + 1] == ":":
        raise ArgumentError(f"Unexpected `:` in [{text}]")
    chars: list[str] = []
    quote = ""
    escaped = False
    while pos < size and (quote or text[pos] not in SPACE):
        char = text[pos]
        if escaped:
            escaped = False
        elif char == "\\":
            pos += 1
            if text[pos:pos + 1] == " ":
                chars.append(" ")
                pos += 1
            else:
                escaped = True
            continue
        elif quote:
            if char == quote:
                quote = ""
                pos += 1
                continue
        elif char in "\"'":
            quote = char
            pos += 1
            continue
        elif char == "#":
            break
        chars.append(char)
        pos += 1
    if quote:
        raise ArgumentError(f"Unmatched `{quote}` in [{text}]")
    # No character copied ("" or '') is no argument: sbatch stops reading the line there.
    return ("".join(chars) if chars else None), pos


def _split(text: str) -> tuple[list[str], bool]:
    # The words, and whether sbatch stopped before the line's end: at a "hetjob" word, or at
    # an empty quoted word ("" is no argument to get_argument, which ends the line there).
    words: list[str] = []
    pos = 0
    while True:
        word, pos = _get_argument(text, pos)
        if word is None:
            return words, pos == CUT or text[pos:].lstrip(SPACE)[:1] not in ("", "#")
        words.append(word)


def split_arguments(text: str) -> list[str]:
    """The words sbatch reads from the text after ``#SBATCH`` (get_argument, repeated)."""
    return _split(text)[0]


def _script_lines(script: str) -> list[str]:
    # next_line splits on "\n" only; sbatch's C strings end at a NUL.
    return [line.split("\0", 1)[0] for line in script.split("\n")]


def _directive_words(script: str) -> tuple[list[Word], list[Refusal], list[str]]:
    """The words of the leading directive block (sbatch's _opt_batch_script)."""
    words: list[Word] = []
    refusals: list[Refusal] = []
    warnings: list[str] = []
    warned_old = False
    in_block = True
    for number, line in enumerate(_script_lines(script), start=1):
        if line.startswith(MAGIC):
            rest = line[len(MAGIC):]
        elif line.startswith(MAGIC_OLD):
            rest = line[len(MAGIC_OLD):]
            if in_block and not warned_old:
                warnings.append(f"line {number}: Change from #SLURM to #SBATCH in your script"
                                " and verify the options are valid in sbatch")
                warned_old = True
        else:
            stripped = line.lstrip(SPACE)
            if stripped.startswith((MAGIC, MAGIC_OLD)) and in_block:
                warnings.append(f"line {number}: {MAGIC} not at the start of the line is a"
                                " comment to sbatch; ignored")
            if stripped and not stripped.startswith("#"):
                in_block = False
            continue
        if not in_block:
            warnings.append(f"line {number}: {MAGIC} after the first command is a comment to"
                            " sbatch; ignored")
            continue
        head = rest.lstrip(SPACE)
        if re.match(r"(?i)(packjob|hetjob)(?:[ \t\n\v\f\r]|$)", head):
            refusals.append(Refusal(number, f"{line.strip()}: hpcapi cannot submit"
                                            " heterogeneous jobs"))
            break
        try:
            found, cut = _split(rest)
        except ArgumentError as exc:
            refusals.append(Refusal(number, f"{line.strip()}: {exc}"))
            continue
        if cut:
            warnings.append(f"line {number}: sbatch reads nothing after an empty quoted word"
                            " or a 'hetjob' word; neither does hpcapi")
        words.extend(Word(word, number) for word in found)
    return words, refusals, warnings


def _xlate_lines(script: str) -> list[tuple[int, str]]:
    """The #BSUB or #PBS lines sbatch would translate (xlate_batch_script)."""
    for magic in XLATE_MAGICS:
        found: list[tuple[int, str]] = []
        others = 0
        for number, line in enumerate(_script_lines(script), start=1):
            if line.startswith(magic):
                found.append((number, line.rstrip(SPACE)))
                continue
            if not line.startswith("#"):
                others += 1
                if others > XLATE_LINES:
                    break
        if found:
            # "Only translate one type of job options at most."
            return found
    return []


def _full_path(path: str, cwd: str) -> str:
    # sbatch's make_full_path and _fullpath: a relative path is joined to the directory as is.
    return path if path.startswith("/") else f"{cwd}/{path}"


def _strtoll(text: str) -> int:
    match = _STRTOLL.match(text)
    return int(match.group(1)) if match else 0


# A host or burst buffer file is a few lines; this bounds what the CLI reads for one request.
MAX_OPTION_FILE_BYTES = 65536


class _Reader:
    """Turns getopt's options into field values, refusals and warnings, in order."""

    def __init__(self, ignore_unsupported: bool, cwd: str = "/") -> None:
        self.ignore_unsupported = ignore_unsupported
        self.cwd = cwd  # where relative file names (--nodefile) are read from
        self.nodefile: tuple[int | None, str] | None = None  # (line, host list) read
        self.bbf: tuple[int | None, str] | None = None  # (line, burst buffer file's text)
        self.export_file: dict[str, str] | None = None  # --export-file's variables
        self.resources: str | None = None  # --resources: more licenses
        self.values: dict[str, Any] = {}
        self.refusals: list[Refusal] = []
        self.warnings: list[str] = []
        self.client: set[str] = set()
        self.memory: dict[str, int | None] = {}
        self.sharing: dict[str, int | None] = {}  # --exclusive, --oversubscribe: their lines

    def unsupported(self, line: int | None, text: str, why: str = "") -> None:
        reason = f": {why}" if why else ""
        if self.ignore_unsupported:
            where = "command line" if line is None else f"line {line}"
            self.warnings.append(f"{where}: {text} cannot be carried by hpcapi{reason};"
                                 " submitted without it (--ignore-unsupported)")
        else:
            self.refusals.append(Refusal(
                line, f"{text} cannot be carried by hpcapi{reason}; remove it, or use"
                " --ignore-unsupported to submit without it", UNSUPPORTED))

    def read_file(self, line: int | None, shown: str, path: str, option: str) -> str | None:
        """The text of a file an option names, read here as sbatch reads it; None: refused."""
        try:
            with open(os.path.join(self.cwd, path), encoding="utf-8") as handle:
                text = handle.read(MAX_OPTION_FILE_BYTES + 1)
        except (OSError, UnicodeDecodeError) as exc:
            self.invalid(line, f"{shown}: Invalid {option} file ({exc})")
            return None
        if len(text) > MAX_OPTION_FILE_BYTES:
            self.invalid(line, f"{shown}: the file is larger than {MAX_OPTION_FILE_BYTES} bytes")
            return None
        return text

    def read_nodefile(self, line: int | None, shown: str, path: str) -> None:
        """--nodefile: the host names the file on this host lists (slurm_read_hostfile())."""
        text = self.read_file(line, shown, path, "--nodefile node")
        if text is None:
            return
        hosts: list[str] = []
        for number, raw in enumerate(text.splitlines(), 1):
            entry = re.sub(r"(?<!\\)#.*", "", raw).replace("\\#", "#")
            if not entry:
                continue
            if not entry[0].isalnum():
                self.invalid(line, f"{shown}: Invalid hostfile {path} contents on line {number}")
                return
            # "name*N" repeats a host for a task layout; --nodefile reads it with no count,
            # which adds it no times (the MIN() in slurm_read_hostfile()).
            hosts += [name for name in re.split(r"[,\s]+", entry) if name and "*" not in name]
        if not hosts:
            self.invalid(line, f"{shown}: Hostlist is empty!")
            return
        self.nodefile = (line, ",".join(dict.fromkeys(hosts)))

    def invalid(self, line: int | None, message: str) -> None:
        self.refusals.append(Refusal(line, message))

    def take(self, parsed: Parsed, line: int | None, in_script: bool) -> None:
        name, value, text = parsed.spec.name, parsed.value, parsed.text
        shown = text if text.startswith(f"--{name}") else f"{text} (--{name})"
        key = parsed.spec.key  # an alias's key is its original's name
        option = SUPPORTED.get(key)
        if in_script and name in EARLY_PASS:
            return  # sbatch skips these in the script's pass (slurm_process_option)
        if in_script and name in CLIENT_OPTIONS:
            self.client.add(name)
            return
        if key == "nodefile" and value is not None:
            self.read_nodefile(line, shown, value)
            return
        if key == "resources" and value is not None:
            self.resources = value
            return
        if key == "export-file" and value is not None:
            content = self.read_file(line, shown, value, "--export-file")
            if content is not None:
                self.export_file = read_export_file(content)
            return
        if key == "bbf" and value is not None:
            content = self.read_file(line, shown, value, "--bbf")
            if content is not None:
                self.bbf = (line, content)
            return
        if option is None:
            self.unsupported(line, shown, REFUSED_REASONS.get(name, ""))
            return
        field = option.field
        if key == "exclusive" and (value or "").lower() == "oversubscribe":
            field = "oversubscribe"  # arg_set_exclusive: the same as --oversubscribe
        converted = self.convert(key, value, line, shown)
        if converted is None:
            return
        self.values[field] = converted
        if key in ("exclusive", "oversubscribe"):
            self.sharing[key] = line
        if field in MEMORY_FIELDS:
            self.memory[field] = line

    def convert(self, name: str, value: str | None, line: int | None, shown: str) -> Any:
        """The API value of one option, as sbatch's arg_set_* function reads it; None: not."""
        option = SUPPORTED[name]
        if option.flag:
            return name != "no-requeue"
        if option.optional and value == "":
            value = None  # slurm_process_option: an empty optional value is no value
        if name == "exclusive":
            # arg_set_exclusive: case-insensitive words.
            word = (value or "exclusive").lower()
            if word == "exclusive":
                return True
            if word in ("user", "mcs", "topo"):
                return word
            if word == "oversubscribe":
                return True  # take() sends it as oversubscribe
            self.invalid(line, f"{shown}: Invalid --exclusive specification")
            return None
        if name == "requeue":
            # arg_set_requeue: any value means requeue; "expedite" adds a flag hpcapi lacks.
            if value is not None and value.lower() == "expedite":
                self.unsupported(line, shown)
                return None
            return True
        if name == "no-kill":
            # arg_set_no_kill: none or "set" keeps the job, "off" or "no" does not.
            word = "set" if value is None else value.lower()
            if word not in ("set", "off", "no"):
                self.invalid(line, f"{shown}: Invalid --no-kill specification")
                return None
            return word == "set"
        if name == "wait-all-nodes" and value is not None:
            # arg_set_wait_all_nodes: parse_int, then more than 1 is invalid.
            number = value.strip()
            if not number.isdigit() or int(number) > 1:
                self.invalid(line, f"{shown}: Invalid --wait-all-nodes specification")
                return None
            return int(number)
        if name == "oom-kill-step":
            # arg_set_oom_kill_step: no value means 1; else 0 or 1.
            if value is None:
                return 1
            if value.strip() not in ("0", "1"):
                self.invalid(line, f"{shown}: Invalid --oom-kill-step specification")
                return None
            return int(value)
        if name == "nice":
            # arg_set_nice: strtoll, no value means 100.
            nice = 100 if value is None else _strtoll(value)
            if abs(nice) > NICE_LIMIT:
                self.invalid(line, f"{shown}: Invalid --nice value, out of range"
                                   f" (+/- {NICE_LIMIT})")
                return None
            return nice
        assert value is not None  # noqa: S101 - getopt gives every required option a value
        if name == "open-mode":
            # arg_set_open_mode reads the first letter only.
            mode = {"a": "append", "t": "truncate"}.get(value[:1].lower())
            if mode is None:
                self.invalid(line, f"{shown}: Invalid --open-mode specification")
            return mode
        if name == "input" and value.lower() == "none":
            return "/dev/null"  # arg_set_ifname
        if name in ("nodelist", "exclude") and "/" in value:
            # verify_node_list reads a node list with a "/" from that file on the submit host.
            self.unsupported(line, shown, "it names a file of host names")
            return None
        return value


def decide(
    script: str,
    command_line: Sequence[Parsed] = (),
    *,
    script_name: str | None = None,
    cwd: str = "/",
    environ: Mapping[str, str] | None = None,
    ignore_unsupported: bool = False,
    ignore_pbs: bool = False,
    unnamed: str = "sbatch",
) -> Decision:
    """The submit fields sbatch's reading of ``script`` and ``command_line`` gives, or why not.

    ``script_name`` is the script's path as given (None: read from stdin), ``cwd`` the
    directory the command runs in: sbatch's job name and working directory come from them;
    ``unnamed`` is the job name without a script file ("wrap" for sbatch --wrap).
    """
    words, refusals, warnings = _directive_words(script)
    reader = _Reader(ignore_unsupported, cwd)
    reader.refusals.extend(refusals)
    reader.warnings.extend(warnings)
    argv = [word.text for word in words]
    found: GetoptResult = getopt_long(argv, sbatch_specs())
    for parsed in found.options:
        reader.take(parsed, words[parsed.first_word].line, in_script=True)
    if found.error is not None:
        bad = words[found.error_index]
        reader.invalid(bad.line, f"{found.error} (sbatch refuses it)")
    elif found.stop < len(argv):
        bad = words[found.stop]
        reader.invalid(bad.line, f"Invalid directive found in batch script: {bad.text}")
    for parsed in command_line:
        reader.take(parsed, None, in_script=False)
    if not (ignore_pbs or "ignore-pbs" in reader.client):
        # `#SBATCH --ignore-pbs` is read before the translation, as sbatch reads it.
        for number, line in _xlate_lines(script):
            reader.refusals.append(Refusal(
                number, f"{line}: hpcapi does not translate #PBS/#BSUB directives; convert"
                " it to #SBATCH, or use --ignore-pbs", PBS))
    memory = [field for field in MEMORY_FIELDS if field in reader.memory]
    if len(memory) > 1:
        # _validate_memory_options: script and command line count alike ("set by cli").
        last = reader.memory[memory[-1]] if None not in reader.memory.values() else None
        reader.invalid(last, "--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive")
    if reader.nodefile is not None:
        # _validate_nodelist(): a node file replaces --nodelist, whichever came first.
        reader.values["nodelist"] = reader.nodefile[1]
    if reader.resources is not None:
        # slurm_opt_create_job_desc() (25.11): --resources are appended to the licenses.
        given = reader.values.get("licenses")
        reader.values["licenses"] = f"{given},{reader.resources}" if given else reader.resources
    if reader.bbf is not None:
        if "bb" in reader.values:
            reader.invalid(reader.bbf[0], "Cannot specify both --burst-buffer and --bbf")
        # sbatch splices the file into the script it sends, after the directives were read.
        script = splice_into_script(script, reader.bbf[1])
    if len(reader.sharing) > 1:
        # _validate_share_options() (25.11; 22.05's sbatch kept the last of the two).
        reader.invalid(reader.sharing["oversubscribe"],
                       "--exclusive and --oversubscribe options are mutually exclusive")
    fields, export_warnings = _to_fields(reader.values, environ or {})
    reader.warnings.extend(export_warnings)
    if reader.export_file:
        # The file's variables are the job's environment, --export's entries added to them.
        fields["export"] = {**reader.export_file, **fields.get("export", {})}
    # sbatch's defaults: the working directory it runs in (arg_reset_chdir: getcwd; -D
    # relative to it), the script's file name as job name, "sbatch" for a script on stdin
    # (_opt_verify, _fill_job_desc_from_opts).
    workdir = _full_path(fields.get("working-directory", cwd), cwd)
    fields["working-directory"] = workdir
    if "job-name" not in fields:
        fields["job-name"] = script_name.rsplit("/", 1)[-1] if script_name else unnamed
    for key in ("output", "error", "input"):
        if key in fields:
            fields[key] = _full_path(fields[key], workdir)  # sbatch's _fullpath
    # sbatch's SLURM_SUBMIT_DIR (_set_submit_dir_env: getcwd) and argv[0], which slurmctld
    # shows as the Command: process_options_first_pass's search_path() keeps a name starting
    # with "/" or "." as given and finds any other in the current directory first.
    fields["submit-directory"] = cwd
    if script_name:
        keep = script_name.startswith(("/", "."))
        fields["script-path"] = script_name if keep else _full_path(script_name, cwd)
    fields["script-body"] = script
    return Decision(fields, reader.refusals, reader.warnings, frozenset(reader.client))


# _discard_env() in src/common/env.c: never taken from an --export-file.
_DISCARDED_FROM_FILE = frozenset({"DISPLAY", "ENVIRONMENT", "HOSTNAME"})


def read_export_file(content: str) -> dict[str, str]:
    """--export-file's variables: NUL-separated NAME=value entries, as `env -0` writes them
    (env_array_from_file(); a last entry without its NUL is not read, as there)."""
    variables: dict[str, str] = {}
    for entry in content.split("\0")[:-1]:
        name, equals, value = entry.partition("=")
        if equals and name and name not in _DISCARDED_FROM_FILE:
            variables[name] = value
    return variables


def splice_into_script(script: str, text: str) -> str:
    """``text`` put into ``script`` after its first line if it starts with "#", else before
    it, ending with a newline (run_command_add_to_script() in src/common/run_command.c)."""
    if not text:
        return script
    if not text.endswith("\n"):
        text += "\n"
    if not script.startswith("#"):
        return text + script
    first, newline, rest = script.partition("\n")
    return first + newline + text + rest if newline else f"{script}\n{text}"


def read_script(path: str) -> str:
    """A script file's text as sbatch reads it: its bytes as they are, "\r\n" included
    (sbatch refuses DOS line breaks; Python's universal newlines would hide them)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def parse_export(value: str, environ: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Turn an sbatch ``--export`` value into the API's ``export`` object, with warnings."""
    exported: dict[str, str] = {}
    warnings: list[str] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        if item.upper() in ("ALL", "NONE", "NIL"):
            if item.upper() == "ALL":
                # Copying the whole environment would leak it into the job and overflow the
                # 4 KB request; hpcapi jobs start clean, so say so instead.
                warnings.append(
                    "--export=ALL: hpcapi jobs start with a clean environment; "
                    "only variables named in --export are passed"
                )
            continue
        name, eq, given = item.partition("=")
        if not _ENV_NAME.fullmatch(name):
            warnings.append(f"--export: {name!r} is not a variable name; ignored")
        elif eq:
            exported[name] = given
        elif name in environ:
            # sbatch exports a named variable's current value.
            exported[name] = environ[name]
        else:
            warnings.append(f"--export: {name} is not set here; not exported")
    return exported, warnings


def _to_fields(
    values: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    fields: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in values.items():
        if key == "export":
            exported, problems = parse_export(str(value), environ)
            warnings.extend(problems)
            if exported:
                fields["export"] = exported
        else:
            fields[key] = value
    return fields, warnings


def parse_directives(script: str) -> Decision:
    """What sbatch reads from ``script``'s directives alone (a script on stdin, cwd "/")."""
    return decide(script)


def build_fields(
    script: str, cli: Mapping[str, Any], environ: Mapping[str, str], cwd: str = "/",
) -> tuple[dict[str, Any], list[str]]:
    """The submit fields for ``script`` with API field values ``cli`` winning, and warnings;
    DirectiveError when sbatch would refuse the script or hpcapi cannot carry part of it."""
    decision = decide(script, environ=environ, cwd=cwd)
    if decision.refusals:
        raise DirectiveError(decision.refusals)
    return {**decision.fields, **cli}, decision.warnings
