"""Turn a batch script's ``#SBATCH`` directives into hpcapi submit fields (pure functions).

Parsing follows sbatch: only ``#SBATCH`` at the very start of a line counts, and only in the
leading block of comments and blank lines; the first command line ends it. Directives after
that (or indented ones) are comments to sbatch, so they are reported, not used. Options take
``--opt=value``, ``--opt value``, ``-o value`` and ``-ovalue`` forms; a ``#`` outside quotes
starts a comment. Options hpcapi cannot carry produce a warning. Command-line options win over
the script's, as with sbatch.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hpcapi.client.options import OPTIONS, SbatchOption

BY_LONG = {option.long: option for option in OPTIONS}
BY_SHORT = {option.short: option for option in OPTIONS if option.short}
# Memory per node and per CPU are one choice: a higher-precedence source replaces both.
MEMORY_FIELDS = frozenset({"mem-per-node", "mem-per-cpu"})
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAGIC = "#SBATCH"


@dataclass(frozen=True)
class Directives:
    """What a script's directives say: raw option values by field, and warnings for people."""

    values: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    lines: int = 0


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def parse_options(tokens: Iterable[str], where: str = "") -> tuple[dict[str, Any], list[str]]:
    """Parse sbatch-style option tokens; return raw values by field and warnings."""
    values: dict[str, Any] = {}
    warnings: list[str] = []
    queue = list(tokens)
    prefix = f"{where}: " if where else ""
    while queue:
        token = queue.pop(0)
        option: SbatchOption | None = None
        value: str | None = None
        name = token
        if token.startswith("--"):
            name, eq, inline = token[2:].partition("=")
            option = BY_LONG.get(name)
            name = f"--{name}"
            if eq:
                value = inline
        elif token.startswith("-") and len(token) >= 2:
            option = BY_SHORT.get(token[1])
            name = token[:2]
            if len(token) > 2:
                value = token[2:]
        else:
            warnings.append(f"{prefix}{token!r} is not an option; ignored")
            continue
        if option is None:
            # Take a following non-option word along, so "--tmp 10G" is one warning.
            if value is None and queue and not queue[0].startswith("-"):
                value = queue.pop(0)
            shown = name + (f"={value}" if value is not None else "")
            warnings.append(f"{prefix}{shown} cannot be carried by hpcapi; ignored")
            continue
        if option.flag:
            if value is not None and name.startswith("--"):
                warnings.append(f"{prefix}{name} takes no value; {value!r} ignored")
            elif value is not None:
                # "-Hx": getopt would read x as the next short option; keep it simple.
                queue.insert(0, f"-{value}")
            values[option.field] = True
            continue
        if value is None:
            if not queue:
                warnings.append(f"{prefix}{name} needs a value; ignored")
                continue
            value = queue.pop(0)
        # --mem and --mem-per-cpu at one level are both kept: the server refuses the pair, as
        # sbatch does.
        values[option.field] = value
    return values, warnings


def parse_directives(script: str) -> Directives:
    """Read the ``#SBATCH`` directives sbatch would read from ``script``."""
    values: dict[str, Any] = {}
    warnings: list[str] = []
    in_header = True
    count = 0
    for number, line in enumerate(script.split("\n"), start=1):
        line = line.rstrip("\r")
        stripped = line.strip()
        if in_header and line.startswith(MAGIC) and (
            len(line) == len(MAGIC) or line[len(MAGIC)].isspace()
        ):
            count += 1
            try:
                tokens = _tokens(line[len(MAGIC):])
            except ValueError as exc:
                warnings.append(f"line {number}: cannot parse {line.strip()!r} ({exc}); ignored")
                continue
            found, problems = parse_options(tokens, where=f"line {number}")
            values.update(found)
            warnings.extend(problems)
            continue
        if stripped.startswith(MAGIC):
            where = "after the first command" if not in_header else "not at the line start"
            warnings.append(f"line {number}: #SBATCH {where} is ignored, as sbatch ignores it")
            continue
        if in_header and stripped and not stripped.startswith("#"):
            in_header = False
    return Directives(values=values, warnings=tuple(warnings), lines=count)


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


def to_fields(
    values: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """Turn raw option values into API fields (``--export`` becomes an object)."""
    fields: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in values.items():
        if key == "export":
            exported, problems = parse_export(str(value), environ)
            warnings.extend(problems)
            if exported:
                fields["export"] = exported
        elif key == "hold":
            fields["hold"] = bool(value)
        else:
            fields[key] = value
    return fields, warnings


def merge_values(script: Mapping[str, Any], cli: Mapping[str, Any]) -> dict[str, Any]:
    """Combine option values, the command line winning over the script."""
    merged = dict(script)
    if MEMORY_FIELDS & cli.keys():
        # --mem on the command line replaces the script's --mem-per-cpu, and the reverse.
        for key in MEMORY_FIELDS:
            merged.pop(key, None)
    merged.update(cli)
    return merged


def build_fields(
    script: str,
    cli: Mapping[str, Any],
    environ: Mapping[str, str],
) -> tuple[dict[str, Any], list[str]]:
    """The submit fields for ``script`` with command-line values ``cli``; plus warnings."""
    directives = parse_directives(script)
    fields, warnings = to_fields(merge_values(directives.values, cli), environ)
    fields["script-body"] = script
    return fields, [*directives.warnings, *warnings]
