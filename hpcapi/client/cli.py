"""The ``hpcapi`` command line.

Results go to stdout (a table, or with ``--json`` one JSON document of the shape
hpcapi.client.render describes, failures included); messages go to stderr. Exit codes:
0 ok; 1 the API answered an error (its code is printed); 2 usage or configuration (including
an untrusted TLS certificate); 3 authentication (no valid ticket, or the server refused the
principal); 4 server unreachable; 5 a job waited for did not complete successfully; 6 ``wait``
timed out. ``completion`` and ``man`` answer from the parser alone, without configuration.

Every run of ``hpcapi`` imports this module, so it imports only what parsing the command line
needs: ``--help``, ``--version`` and usage errors answer without loading ssl, http.client and
gssapi, which a command imports (through hpcapi.client.commands) once the arguments are known.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from hpcapi import __version__
from hpcapi.client import errors as client_errors
from hpcapi.client.options import NONE, OPTIONS, REQ, Spec, split_command_line

if TYPE_CHECKING:
    from hpcapi.client.api import HpcapiClient
    from hpcapi.client.commands import Context
    from hpcapi.client.config import ClientConfig

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 4
EXIT_JOB_FAILED = 5
EXIT_WAIT_TIMEOUT = 6
EXIT_INTERRUPTED = 130

# The error reason of a --json document when a command ended with a failing status of its own
# (not an exception); hpcapi.client.render.CLIENT_REASONS says what each means.
STATUS_REASONS = {
    EXIT_API_ERROR: "partial_failure",
    EXIT_JOB_FAILED: "job_failed",
    EXIT_WAIT_TIMEOUT: "wait_timeout",
}

CredentialFactory = Callable[[str | None, str | None], Any]
ClientFactory = Callable[["ClientConfig", Any], "HpcapiClient"]

# What each exit status means: the --help epilog and the manual page are made from it.
EXIT_MEANINGS = {
    EXIT_OK: "ok",
    EXIT_API_ERROR: "API error (its code is printed)",
    EXIT_USAGE: "usage or configuration",
    EXIT_AUTH: "authentication",
    EXIT_UNREACHABLE: "server unreachable",
    EXIT_JOB_FAILED: "a job did not complete successfully",
    EXIT_WAIT_TIMEOUT: "wait timed out",
}
CONFIGURATION = (
    "/etc/hpcapi/client.conf, ~/.config/hpcapi/client.conf, $HPCAPI_CLIENT_CONF, $HPCAPI_URL,"
    " then options; INI section [client] with url, principal, keytab, ca."
)


def _wrap(pieces: list[str], width: int = 90) -> list[str]:
    # Not textwrap: importing it costs every run of hpcapi a millisecond (the module docstring).
    lines = [""]
    for word in pieces:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
    return lines


_EXITS = [f"{code} {meaning}" for code, meaning in EXIT_MEANINGS.items()]
EPILOG = "\n".join([
    *_wrap(["exit status:", *[f"{item}," for item in _EXITS[:-1]], f"{_EXITS[-1]}."]),
    *_wrap(f"configuration: {CONFIGURATION}".split()),
])


# --- the parser ---


def _add_common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # The same options before or after the command; defaults only at the top level, so a
    # subcommand's absent option does not overwrite one given before the command.
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("connection")
    group.add_argument("--url", default=default(None), help="server URL, e.g. https://h/hpcapi")
    group.add_argument("--principal", default=default(None), help="Kerberos principal to act as")
    group.add_argument("--keytab", default=default(None), help="keytab for --principal (no kinit)")
    group.add_argument("--ca", default=default(None), help="CA bundle to verify the server with")
    group.add_argument(
        "--json", action="store_true", default=default(False), help="print JSON on stdout"
    )


def _add_sbatch_options(parser: argparse.ArgumentParser) -> None:
    # Listed for --help only: JobCommandParsers reads these words with sbatch's own rules.
    group = parser.add_argument_group(
        "job options (as in sbatch, before the script; they win over #SBATCH lines; any other"
        " sbatch option is refused by name)")
    for option in OPTIONS:
        names = [f"--{option.long}"] + ([f"-{option.short}"] if option.short else [])
        dest = "sb_" + option.long.replace("-", "_")
        if option.flag:
            group.add_argument(*names, dest=dest, action="store_true", help=option.help)
        else:
            group.add_argument(*names, dest=dest, nargs="?" if option.optional else None,
                               metavar="VALUE", help=option.help)


JOB_COMMANDS = ("submit", "submit-many")


class JobCommandParsers(argparse._SubParsersAction):  # type: ignore[type-arg]
    """The subcommands, where submit and submit-many read their words as sbatch does.

    argparse would take abbreviations against its own options only, ``-J=x`` as ``x``,
    ``--exclusive SCRIPT`` as a value and options after the script as options; sbatch uses
    getopt_long over its whole table and gives the words after the script to the script.
    So their words go through hpcapi.client.options.split_command_line first; argparse then
    gets only hpcapi's own options, spelled in full, and the positionals; the script's
    arguments go to ``script_arguments``.
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        name, words = values[0], list(values[1:])
        sub = self._name_parser_map.get(name)
        job: list[Any] = []
        arguments: list[str] = []
        if name in JOB_COMMANDS and sub is not None:
            own: list[Spec] = []
            for action in sub._actions:
                if not action.option_strings or action.dest.startswith("sb_"):
                    continue
                longs = [o[2:] for o in action.option_strings if o.startswith("--")]
                shorts = [o[1:] for o in action.option_strings if len(o) == 2 and o[1] != "-"]
                kind = NONE if action.nargs == 0 else REQ
                for index, long in enumerate(longs):
                    own.append(Spec(long, kind, shorts[0] if shorts and not index else "",
                                    f"--{longs[0]}"))
            split = split_command_line(words, own, {s.key: s.key for s in own},
                                       script=name == "submit")
            if split.error is not None:
                sub.error(split.error)
            values = [name, *split.own, *(["--", *split.positionals] if split.positionals
                                          else [])]
            job, arguments = split.job, split.arguments
        super().__call__(parser, namespace, values, option_string)
        namespace.job_options = job
        namespace.script_arguments = arguments


def _add_wait_options(parser: argparse.ArgumentParser, flag: bool) -> None:
    if flag:
        parser.add_argument(
            "-W", "--wait", action="store_true", help="wait until the job(s) finish"
        )
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="give up waiting after this long"
    )


def _add_refusal_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ignore-unsupported", action="store_true",
        help="submit without the sbatch options hpcapi cannot carry (one warning each)",
    )
    parser.add_argument(
        "--ignore-pbs", action="store_true",
        help="ignore #PBS and #BSUB lines, as sbatch --ignore-pbs (else they are refused)",
    )


# Each command with its help line: the top-level parser lists them all.
COMMAND_HELP = {
    "submit": "submit a batch script; its #SBATCH lines become job options",
    "submit-many": "submit many scripts, at most N at a time, resumable",
    "history": "your recent jobs (query_status)",
    "status": "the state of jobs",
    "output": "print a job's stdout (or stderr), as it is now or following it",
    "cancel": "cancel jobs",
    "wait": "wait until jobs finish; exit 0 only if all completed",
    "partitions": "the partitions you can submit to",
    "whoami": "the principal and local user the server sees",
    "ping": "check that the server reaches Slurm as you",
    "completion": "print a bash or zsh completion script",
    "man": "print the hpcapi(1) manual page (roff)",
}
# Answered from the parser alone: no configuration, no credential, no server.
LOCAL_COMMANDS = ("completion", "man")
COMPLETION_SHELLS = ("bash", "zsh")


class CommandLineError(Exception):
    """argparse refused the command line; ``usage`` is the refusing parser's usage line."""

    def __init__(self, usage: str, prog: str, message: str) -> None:
        super().__init__(message)
        self.usage = usage
        self.prog = prog
        self.message = message


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises on a usage error instead of printing and exiting, so that
    main can print the error where it was told to, and as JSON with --json."""

    def error(self, message: str) -> NoReturn:
        """Raise CommandLineError (argparse calls this for every usage error)."""
        raise CommandLineError(self.format_usage(), self.prog, message)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    """The commands of ``parser``: name to (help line, parser), in the order of COMMAND_HELP."""
    # argparse has no public way to list what a parser holds; _actions, _SubParsersAction and
    # _choices_actions are what its own help formatter reads, unchanged since Python 3.2.
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            return {name: (helps.get(name, ""), sub) for name, sub in action.choices.items()}
    return {}


def arguments_of(
    parser: argparse.ArgumentParser,
) -> tuple[list[argparse.Action], list[argparse.Action]]:
    """The options and the positional arguments of ``parser``, its commands left out."""
    actions = [action for action in parser._actions
               if not isinstance(action, argparse._SubParsersAction)]
    return ([action for action in actions if action.option_strings],
            [action for action in actions if not action.option_strings])


def help_of(action: argparse.Action) -> str:
    """An argument's help line as --help shows it (``%%`` and ``%(default)s`` expanded)."""
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    return argparse.HelpFormatter("hpcapi")._expand_help(action)


def _add_command_arguments(name: str, sub: argparse.ArgumentParser) -> None:
    """The arguments and options of command ``name``."""
    if name == "submit":
        sub.add_argument("script", metavar="SCRIPT", nargs="?",
                         help="the batch script, or - (or none) for stdin; the words after it"
                              " are its arguments, as with sbatch (Slurm 23.11+)")
        sub.add_argument("--wrap", metavar="COMMAND",
                         help="submit COMMAND in a sh script, as sbatch --wrap (no SCRIPT)")
        _add_sbatch_options(sub)
        _add_wait_options(sub, flag=True)
        _add_refusal_options(sub)
        sub.add_argument(
            "--parsable", action="store_true",
            help="print only the job id (as sbatch --parsable)",
        )
        sub.add_argument(
            "--show-output", action="store_true",
            help="with --wait: print the job's stdout once it has finished",
        )
        sub.add_argument(
            "--dry-run", action="store_true",
            help="let the server check everything, submit nothing",
        )
        sub.add_argument(
            "--idempotency-key", metavar="KEY",
            help="resubmitting with the same KEY makes no new job",
        )
    elif name == "submit-many":
        sub.add_argument(
            "directory", nargs="?", metavar="DIR",
            help="submit the files in DIR (default: read script paths from stdin, one a line)",
        )
        sub.add_argument("--glob", default="*", metavar="PATTERN", help="files of DIR to take")
        sub.add_argument(
            "-j", "--max-in-flight", type=int, default=4, metavar="N",
            help="submissions in flight at once (default 4)",
        )
        sub.add_argument(
            "--run-id", metavar="ID",
            help="name of this run; run again with the same ID to resume without duplicates",
        )
        _add_sbatch_options(sub)
        _add_wait_options(sub, flag=True)
        _add_refusal_options(sub)
    elif name == "history":
        sub.add_argument("--hours", type=int, metavar="N", help="look back N hours")
    elif name == "output":
        sub.add_argument("job", metavar="JOB", help="a job id, or an array task such as 42_3")
        sub.add_argument("--stderr", action="store_true", help="the job's stderr, not stdout")
        sub.add_argument("--tail", type=int, metavar="BYTES", help="only the last BYTES")
        sub.add_argument("--follow", action="store_true",
                         help="keep printing until the job has finished and its file stops growing")
    elif name in ("status", "cancel", "wait"):
        sub.add_argument("jobs", nargs="+", metavar="JOB")
        if name == "wait":
            _add_wait_options(sub, flag=False)
    elif name == "completion":
        sub.add_argument("shell", choices=COMPLETION_SHELLS, metavar="SHELL",
                         help="bash or zsh; e.g. eval \"$(hpcapi completion bash)\"")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser for ``hpcapi``; given ``argv``, only the commands named in it get
    their arguments (the rest are listed by name: making all of them took 11 ms, a fifth of
    ``hpcapi --version``, and a command's help shows only its own)."""
    parser = _Parser(
        prog="hpcapi",
        description="Submit and follow Slurm jobs through an hpcapi server, with Kerberos.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     action=JobCommandParsers)
    named = set(COMMAND_HELP) if argv is None else set(argv)
    for name, help_text in COMMAND_HELP.items():
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        if name in named:
            _add_common(sub, suppress=True)
            _add_command_arguments(name, sub)
    return parser


def _command_named(words: list[str]) -> str | None:
    """The command a command line that did not parse seems to name, for its JSON document."""
    return next((word for word in words if word in COMMAND_HELP), None)


def _run_local(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """A command of LOCAL_COMMANDS: its --json result and its text."""
    parser = build_parser()  # every command, with all its options
    if args.command == "completion":
        from hpcapi.client.completion import completion_script

        script = completion_script(args.shell, parser)
        return {"shell": args.shell, "script": script}, script
    from hpcapi.client.manpage import manpage

    page = manpage(parser)
    return {"page": page}, page


def main(
    argv: list[str] | None = None,
    *,
    credential_factory: CredentialFactory | None = None,
    client_factory: ClientFactory | None = None,
    environ: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run the command line; return the exit status."""
    err = stderr or sys.stderr
    out = stdout or sys.stdout
    env = os.environ if environ is None else environ
    words = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser(words).parse_args(words)
    except CommandLineError as exc:
        print(f"{exc.usage}{exc.prog}: error: {exc.message}", file=err, flush=True)
        if "--json" in words:
            from hpcapi.client import render

            document = render.envelope(_command_named(words), EXIT_USAGE, None,
                                       render.error_info("usage", exc.message))
            print(render.json_text(document), file=out, flush=True)
        return EXIT_USAGE
    except SystemExit as exc:  # argparse: --help or --version (0)
        return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_USAGE

    # Imported only now that a command is to run (see the module docstring).
    from hpcapi.client import render

    def finish(code: int, result: Any, error: dict[str, Any] | None,
               warnings: list[str]) -> int:
        # The one place a --json document is printed: one per run, failures included.
        if args.json:
            if code != EXIT_OK and error is None:
                reason = STATUS_REASONS.get(code, "client_error")
                error = render.error_info(reason, render.CLIENT_REASONS[reason])
            document = render.envelope(args.command, code, result, error, warnings)
            print(render.json_text(document), file=out, flush=True)
        return code

    def fail(code: int, message: str, error: dict[str, Any]) -> int:
        print(f"hpcapi: {message}", file=err, flush=True)
        return finish(code, None if ctx is None else ctx.result, error,
                      [] if ctx is None else ctx.warnings)

    ctx: Context | None = None
    if args.command in LOCAL_COMMANDS:
        result, text = _run_local(args)
        if not args.json:
            print(text, file=out, end="" if text.endswith("\n") else "\n", flush=True)
        return finish(EXIT_OK, result, None, [])

    from hpcapi.client import commands
    from hpcapi.client.auth import acquire_credentials
    from hpcapi.client.config import load_config

    try:
        config = load_config(
            {"url": args.url, "principal": args.principal, "keytab": args.keytab, "ca": args.ca},
            environ=env,
        )
    except client_errors.ConfigError as exc:
        return fail(EXIT_USAGE, str(exc), render.error_info("config", str(exc)))
    if not config.url:
        message = ("no server URL: set url in ~/.config/hpcapi/client.conf, "
                   "set HPCAPI_URL, or pass --url")
        return fail(EXIT_USAGE, message, render.error_info("config", message))

    make_credential = credential_factory or acquire_credentials
    make_client_for = client_factory or commands.default_client_factory

    def make_client() -> HpcapiClient:
        return make_client_for(config, make_credential(config.principal, config.keytab))

    ctx = commands.Context(
        args=args, config=config, make_client=make_client, stdout=out,
        stderr=err, stdin=stdin or sys.stdin, environ=env, sleep=sleep,
    )
    try:
        code = commands.COMMANDS[args.command](ctx)
        return finish(code, ctx.result, ctx.error, ctx.warnings)
    except client_errors.CredentialsError as exc:
        return fail(EXIT_AUTH, str(exc), render.error_info("no_credentials", str(exc)))
    except client_errors.ApiError as exc:  # AuthenticationError (exit 3) among them
        code = EXIT_AUTH if isinstance(exc, client_errors.AuthenticationError) else EXIT_API_ERROR
        # The request id lets the site find this request in its logs.
        asked = f" (request id {exc.body['request_id']})" if exc.body.get("request_id") else ""
        return fail(code, f"error {exc.reason} (HTTP {exc.status}): {exc.message}{asked}",
                    render.api_error_info(exc))
    except client_errors.UnreachableError as exc:
        return fail(EXIT_UNREACHABLE, str(exc), render.error_info("unreachable", str(exc)))
    except client_errors.TlsError as exc:
        return fail(EXIT_USAGE, str(exc), render.error_info("tls", str(exc)))
    except client_errors.ConfigError as exc:
        reason = "usage" if isinstance(exc, commands.UsageError) else "config"
        return fail(EXIT_USAGE, str(exc), render.error_info(reason, str(exc)))
    except client_errors.HpcapiClientError as exc:
        return fail(EXIT_API_ERROR, str(exc), render.error_info("client_error", str(exc)))
    except KeyboardInterrupt:
        return fail(EXIT_INTERRUPTED, "interrupted",
                    render.error_info("interrupted", "interrupted"))
    finally:
        if ctx._client is not None:
            ctx._client.close()


if __name__ == "__main__":
    sys.exit(main())
