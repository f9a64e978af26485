"""The ``hpcapi`` command line.

Results go to stdout (a table, or JSON with ``--json``); messages go to stderr. Exit codes:
0 ok; 1 the API answered an error (its code is printed); 2 usage or configuration (including
an untrusted TLS certificate); 3 authentication (no valid ticket, or the server refused the
principal); 4 server unreachable; 5 a job waited for did not complete successfully; 6 ``wait``
timed out.

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
from typing import TYPE_CHECKING, Any, TextIO

from hpcapi import __version__
from hpcapi.client import errors as client_errors
from hpcapi.client.options import NONE, OPTIONS, REQ, Spec, split_command_line

if TYPE_CHECKING:
    from hpcapi.client.api import HpcapiClient
    from hpcapi.client.config import ClientConfig

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 4
EXIT_JOB_FAILED = 5
EXIT_WAIT_TIMEOUT = 6

CredentialFactory = Callable[[str | None, str | None], Any]
ClientFactory = Callable[["ClientConfig", Any], "HpcapiClient"]

EPILOG = """\
exit status: 0 ok, 1 API error (its code is printed), 2 usage or configuration,
3 authentication, 4 server unreachable, 5 a job did not complete successfully,
6 wait timed out.
configuration: /etc/hpcapi/client.conf, ~/.config/hpcapi/client.conf, $HPCAPI_CLIENT_CONF,
$HPCAPI_URL, then options; INI section [client] with url, principal, keytab, ca."""


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
    gets only hpcapi's own options, spelled in full, and the positionals.
    """

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        name, words = values[0], list(values[1:])
        sub = self._name_parser_map.get(name)
        job: list[Any] = []
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
            job = split.job
        super().__call__(parser, namespace, values, option_string)
        namespace.job_options = job


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
    "cancel": "cancel jobs",
    "wait": "wait until jobs finish; exit 0 only if all completed",
    "partitions": "the partitions you can submit to",
    "whoami": "the principal and local user the server sees",
    "ping": "check that the server reaches Slurm as you",
}


def _add_command_arguments(name: str, sub: argparse.ArgumentParser) -> None:
    """The arguments and options of command ``name``."""
    if name == "submit":
        sub.add_argument("script", metavar="SCRIPT", help="the batch script, or - for stdin")
        _add_sbatch_options(sub)
        _add_wait_options(sub, flag=True)
        _add_refusal_options(sub)
        sub.add_argument(
            "--parsable", action="store_true",
            help="print only the job id (as sbatch --parsable)",
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
    elif name in ("status", "cancel", "wait"):
        sub.add_argument("jobs", nargs="+", metavar="JOB")
        if name == "wait":
            _add_wait_options(sub, flag=False)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser for ``hpcapi``; given ``argv``, only the commands named in it get
    their arguments (the rest are listed by name: making all of them took 11 ms, a fifth of
    ``hpcapi --version``, and a command's help shows only its own)."""
    parser = argparse.ArgumentParser(
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
    env = os.environ if environ is None else environ
    try:
        words = sys.argv[1:] if argv is None else argv
        args = build_parser(words).parse_args(words)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_USAGE

    def fail(code: int, message: str) -> int:
        print(f"hpcapi: {message}", file=err, flush=True)
        return code

    # Imported only now that a command is to run (see the module docstring).
    from hpcapi.client import commands
    from hpcapi.client.auth import acquire_credentials
    from hpcapi.client.config import load_config

    try:
        config = load_config(
            {"url": args.url, "principal": args.principal, "keytab": args.keytab, "ca": args.ca},
            environ=env,
        )
    except client_errors.ConfigError as exc:
        return fail(EXIT_USAGE, str(exc))
    if not config.url:
        return fail(EXIT_USAGE, "no server URL: set url in ~/.config/hpcapi/client.conf, "
                    "set HPCAPI_URL, or pass --url")

    make_credential = credential_factory or acquire_credentials
    make_client_for = client_factory or commands.default_client_factory

    def make_client() -> HpcapiClient:
        return make_client_for(config, make_credential(config.principal, config.keytab))

    ctx = commands.Context(
        args=args, config=config, make_client=make_client, stdout=stdout or sys.stdout,
        stderr=err, stdin=stdin or sys.stdin, environ=env, sleep=sleep,
    )
    try:
        return commands.COMMANDS[args.command](ctx)
    except client_errors.CredentialsError as exc:
        return fail(EXIT_AUTH, str(exc))
    except client_errors.AuthenticationError as exc:
        if args.json:
            ctx.emit(exc.body, "")
        return fail(EXIT_AUTH, f"error {exc.reason} (HTTP {exc.status}): {exc.message}")
    except client_errors.ApiError as exc:
        if args.json:
            ctx.emit(exc.body, "")
        return fail(EXIT_API_ERROR, f"error {exc.reason} (HTTP {exc.status}): {exc.message}")
    except client_errors.UnreachableError as exc:
        return fail(EXIT_UNREACHABLE, str(exc))
    except (client_errors.ConfigError, client_errors.TlsError) as exc:
        return fail(EXIT_USAGE, str(exc))
    except client_errors.HpcapiClientError as exc:
        return fail(EXIT_API_ERROR, str(exc))
    except KeyboardInterrupt:
        return fail(130, "interrupted")
    finally:
        if ctx._client is not None:
            ctx._client.close()


if __name__ == "__main__":
    sys.exit(main())
