"""The ``hpcapi(1)`` manual page, in roff, made from the argument parser (``hpcapi man``).

Every command and option comes from the parser hpcapi.client.cli builds, with the help line
``--help`` shows; the exit statuses come from its EXIT_MEANINGS. Install it with, e.g.,
``hpcapi man > /usr/local/share/man/man1/hpcapi.1``; read it with ``hpcapi man | man -l -``.
"""

from __future__ import annotations

import argparse

from hpcapi import __version__
from hpcapi.client.cli import (
    CONFIGURATION,
    EXIT_MEANINGS,
    arguments_of,
    help_of,
    subcommands,
)

# The options every command accepts before or after its name, shown once under OPTIONS.
COMMON_GROUP = "connection"


def roff_text(text: str) -> str:
    """``text`` as roff prose: backslashes and hyphens literal, no line read as a request."""
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(
        "\\&" + line if line.startswith((".", "'")) else line for line in escaped.split("\n")
    )


def _bold(text: str) -> str:
    return f"\\fB{roff_text(text)}\\fR"


def _italic(text: str) -> str:
    return f"\\fI{roff_text(text)}\\fR"


def _metavar(action: argparse.Action) -> str:
    if action.choices:
        return "{" + ",".join(str(choice) for choice in action.choices) + "}"
    return str(action.metavar or (action.dest.upper() if action.option_strings else action.dest))


def _option_item(action: argparse.Action) -> list[str]:
    """A tagged paragraph: the option's names (with its value) or the argument's name, then
    its help line."""
    names = sorted(action.option_strings, key=len)
    value = f" {_italic(_metavar(action))}" if action.nargs != 0 else ""
    tag = ", ".join(_bold(name) + value for name in names) or _italic(_metavar(action))
    return [".TP", tag, roff_text(help_of(action) or "")]


def _group_of(parser: argparse.ArgumentParser) -> dict[argparse.Action, str]:
    return {action: group.title or "" for group in parser._action_groups
            for action in group._group_actions}


def _usage(name: str, parser: argparse.ArgumentParser) -> str:
    _, positionals = arguments_of(parser)
    words = [_bold(f"hpcapi {name}"), "[\\fIoptions\\fR]"]
    for action in positionals:
        metavar = _italic(_metavar(action))
        if action.nargs == "?":
            words.append(f"[{metavar}]")
        elif action.nargs in ("+", "*"):
            words.append(f"{metavar} ...")
        else:
            words.append(metavar)
    return " ".join(words)


def _command_section(name: str, help_text: str, parser: argparse.ArgumentParser) -> list[str]:
    options, positionals = arguments_of(parser)
    groups = _group_of(parser)
    lines = [f'.SS "{roff_text(name)}"', _usage(name, parser), ".br", roff_text(help_text)]
    lines += [line for action in positionals for line in _option_item(action)]
    own = [action for action in options
           if groups.get(action) != COMMON_GROUP and action.dest != "help"]
    lines += [line for action in own for line in _option_item(action)]
    return lines


def manpage(parser: argparse.ArgumentParser) -> str:
    """The roff source of hpcapi(1) for ``parser`` and all its commands."""
    options, _ = arguments_of(parser)
    commands = subcommands(parser)
    summary = (parser.description or "").rstrip(".")
    lines = [
        f'.TH HPCAPI 1 "" "hpcapi {__version__}" "User Commands"',
        ".SH NAME",
        f"hpcapi \\- {roff_text(summary[:1].lower() + summary[1:])}",
        ".SH SYNOPSIS",
        f"{_bold('hpcapi')} [\\fIoptions\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR]"
        " [\\fIarguments\\fR]",
        ".br",
        f"{_bold('hpcapi --version')} | {_bold('--help')}",
        ".SH DESCRIPTION",
        roff_text(parser.description or ""),
        ".PP",
        "Results go to standard output: a table, or with " + _bold("--json") + " one JSON"
        " document of the same shape for every command, failures included (see "
        + _bold("JSON OUTPUT") + "). Messages go to standard error.",
        ".SH OPTIONS",
        "These options may be given before or after the command.",
        *[line for action in options for line in _option_item(action)],
        ".SH COMMANDS",
    ]
    for name, (help_text, sub) in commands.items():
        lines += _command_section(name, help_text, sub)
    lines += [
        ".SH JSON OUTPUT",
        "With " + _bold("--json") + ", standard output holds one JSON object:",
        ".PP",
        ".RS",
        ".nf",
        roff_text('{"hpcapi_cli_json": 1, "command": "status", "ok": true, "exit_code": 0,\n'
                  ' "result": {...}, "error": null, "warnings": []}'),
        ".fi",
        ".RE",
        ".PP",
        roff_text("error is null when ok is true; otherwise it holds reason (the server's "
                  "error code, or the client's own such as unreachable), message, http_status "
                  "and details. docs/cli-json.md describes the result of each command."),
        ".SH EXIT STATUS",
        *[line for code, meaning in EXIT_MEANINGS.items()
          for line in (".TP", _bold(str(code)), roff_text(meaning))],
        ".SH FILES",
        roff_text(f"Configuration, each layer over the one before: {CONFIGURATION}"),
        ".SH EXAMPLES",
        ".nf",
        roff_text("hpcapi submit -p quick -t 10 --wait job.sh\n"
                  "hpcapi --json status 42 | jq .result.jobs\n"
                  'eval "$(hpcapi completion bash)"'),
        ".fi",
        "",
    ]
    return "\n".join(lines)
