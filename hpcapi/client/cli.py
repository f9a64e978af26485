"""The ``hpcapi`` command line.

Results go to stdout (a table, or JSON with ``--json``); messages go to stderr. Exit codes:
0 ok; 1 the API answered an error (its code is printed); 2 usage or configuration (including
an untrusted TLS certificate); 3 authentication (no valid ticket, or the server refused the
principal); 4 server unreachable; 5 a job waited for did not complete successfully; 6 ``wait``
timed out.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hpcapi.client import errors as client_errors
from hpcapi.client import render
from hpcapi.client.api import JOB_ID_RE, HpcapiClient, job_records
from hpcapi.client.auth import acquire_credentials
from hpcapi.client.config import ClientConfig, load_config
from hpcapi.client.directives import OPTIONS, build_fields
from hpcapi.client.many import (
    RUN_ID_RE,
    RunStoppedError,
    ScriptResult,
    scripts_from_lines,
    scripts_in_directory,
    submit_many,
)
from hpcapi.client.wait import ProgressLine, WaitPolicy, WaitTimeoutError, succeeded, wait_for_jobs

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 4
EXIT_JOB_FAILED = 5
EXIT_WAIT_TIMEOUT = 6

CredentialFactory = Callable[[str | None, str | None], Any]
ClientFactory = Callable[[ClientConfig, Any], HpcapiClient]

EPILOG = """\
exit status: 0 ok, 1 API error (its code is printed), 2 usage or configuration,
3 authentication, 4 server unreachable, 5 a job did not complete successfully,
6 wait timed out.
configuration: /etc/hpcapi/client.conf, ~/.config/hpcapi/client.conf, $HPCAPI_CLIENT_CONF,
$HPCAPI_URL, then options; INI section [client] with url, principal, keytab, ca."""


class UsageError(client_errors.ConfigError):
    """The command line asks for something impossible."""


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
    group = parser.add_argument_group("job options (as in sbatch; they win over #SBATCH lines)")
    for option in OPTIONS:
        names = [f"--{option.long}"] + ([f"-{option.short}"] if option.short else [])
        dest = "sb_" + option.field.replace("-", "_")
        if option.flag:
            group.add_argument(
                *names, dest=dest, action="store_true", default=None, help=option.help
            )
        else:
            group.add_argument(*names, dest=dest, metavar="VALUE", help=option.help)


def _add_wait_options(parser: argparse.ArgumentParser, flag: bool) -> None:
    if flag:
        parser.add_argument(
            "-W", "--wait", action="store_true", help="wait until the job(s) finish"
        )
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="give up waiting after this long"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``hpcapi``."""
    parser = argparse.ArgumentParser(
        prog="hpcapi",
        description="Submit and follow Slurm jobs through an hpcapi server, with Kerberos.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        _add_common(sub, suppress=True)
        return sub

    submit = command("submit", "submit a batch script; its #SBATCH lines become job options")
    submit.add_argument("script", metavar="SCRIPT", help="the batch script, or - for stdin")
    _add_sbatch_options(submit)
    _add_wait_options(submit, flag=True)
    submit.add_argument(
        "--dry-run", action="store_true", help="let the server check everything, submit nothing"
    )
    submit.add_argument(
        "--idempotency-key", metavar="KEY", help="resubmitting with the same KEY makes no new job"
    )

    many = command("submit-many", "submit many scripts, at most N at a time, resumable")
    many.add_argument(
        "directory", nargs="?", metavar="DIR",
        help="submit the files in DIR (default: read script paths from stdin, one a line)",
    )
    many.add_argument("--glob", default="*", metavar="PATTERN", help="files of DIR to take")
    many.add_argument(
        "-j", "--max-in-flight", type=int, default=4, metavar="N",
        help="submissions in flight at once (default 4)",
    )
    many.add_argument(
        "--run-id", metavar="ID",
        help="name of this run; run again with the same ID to resume without duplicates",
    )
    _add_sbatch_options(many)
    _add_wait_options(many, flag=True)

    history = command("history", "your recent jobs (query_status)")
    history.add_argument("--hours", type=int, metavar="N", help="look back N hours")

    status = command("status", "the state of jobs")
    status.add_argument("jobs", nargs="+", metavar="JOB")
    cancel = command("cancel", "cancel jobs")
    cancel.add_argument("jobs", nargs="+", metavar="JOB")
    wait = command("wait", "wait until jobs finish; exit 0 only if all completed")
    wait.add_argument("jobs", nargs="+", metavar="JOB")
    _add_wait_options(wait, flag=False)

    command("partitions", "the partitions you can submit to")
    command("whoami", "the principal and local user the server sees")
    command("ping", "check that the server reaches Slurm as you")
    return parser


# --- running a command ---


@dataclass
class Context:
    """What a command needs: the arguments, the streams, and a client made on first use."""

    args: argparse.Namespace
    config: ClientConfig
    make_client: Callable[[], HpcapiClient]
    stdout: TextIO
    stderr: TextIO
    stdin: TextIO
    environ: Mapping[str, str]
    sleep: Callable[[float], None] = time.sleep
    _client: HpcapiClient | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def client(self) -> HpcapiClient:
        """The client; made (and the credential checked) before the first request."""
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def say(self, message: str) -> None:
        """A message for people, on stderr."""
        with self._lock:
            print(f"hpcapi: {message}", file=self.stderr, flush=True)

    def emit(self, data: Any, text: str) -> None:
        """The result: JSON with --json, else ``text``."""
        if self.args.json:
            print(json.dumps(data, indent=2, sort_keys=False), file=self.stdout)
        elif text:
            print(text, file=self.stdout)


def _cli_values(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for option in OPTIONS:
        value = getattr(args, "sb_" + option.field.replace("-", "_"), None)
        if value is not None:
            values[option.field] = value
    return values


def _job_ids(ids: list[str]) -> list[str]:
    for job_id in ids:
        if not JOB_ID_RE.fullmatch(job_id):
            raise UsageError(f"{job_id!r} is not a job id")
    return ids


def _wait_policy(args: argparse.Namespace) -> WaitPolicy:
    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be positive")
    return WaitPolicy(timeout=timeout)


class _DefaultPartition:
    """The site's default partition, asked for once and only when a script names none."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.lock = threading.Lock()
        self.name: str | None = None

    def get(self) -> str:
        with self.lock:
            if self.name is None:
                name = self.ctx.client.default_partition()
                if name is None:
                    raise UsageError(
                        "no partition, and the server names no default (Slurm 23.11 and later"
                        " do not say which it is): pass -p/--partition or add"
                        " #SBATCH --partition"
                    )
                self.ctx.say(f"using the default partition {name}")
                self.name = name
            return self.name


def _fields_for(
    ctx: Context, script: str, label: str, partition: _DefaultPartition
) -> dict[str, Any]:
    fields, warnings = build_fields(script, _cli_values(ctx.args), ctx.environ)
    for warning in warnings:
        ctx.say(f"warning: {label}: {warning}")
    if "partition" not in fields:
        fields["partition"] = partition.get()
    return fields


def _wait_and_report(ctx: Context, job_ids: list[str]) -> tuple[int, dict[str, Any]]:
    try:
        jobs = wait_for_jobs(
            ctx.client, job_ids, _wait_policy(ctx.args),
            progress=ProgressLine(ctx.stderr), sleep=ctx.sleep,
        )
        code = EXIT_OK if all(succeeded(job) for job in jobs.values()) else EXIT_JOB_FAILED
    except WaitTimeoutError as exc:
        jobs = exc.jobs
        ctx.say("timed out before every job finished")
        code = EXIT_WAIT_TIMEOUT
    for job_id, job in jobs.items():
        if job.get("state") and not succeeded(job) and code != EXIT_WAIT_TIMEOUT:
            ctx.say(f"job {job_id} ended {job.get('state')} (exit code {job.get('exit_code')})")
    return code, jobs


JOB_COLUMNS = ("JOBID", "NAME", "PARTITION", "STATE", "REASON", "EXIT", "SUBMIT", "START", "END")


def _job_row(job_id: str, job: Mapping[str, Any]) -> list[Any]:
    return [job_id, job.get("name"), job.get("partition"), job.get("state"), job.get("reason"),
            job.get("exit_code"), job.get("submit"), job.get("start"), job.get("end")]


def _jobs_table(jobs: Mapping[str, Mapping[str, Any]]) -> str:
    ordered = sorted(jobs, key=render.job_sort_key)
    return render.table(JOB_COLUMNS, [_job_row(job_id, jobs[job_id]) for job_id in ordered])


def cmd_submit(ctx: Context) -> int:
    """hpcapi submit."""
    args = ctx.args
    label = "stdin" if args.script == "-" else args.script
    try:
        script = ctx.stdin.read() if args.script == "-" else Path(args.script).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {label}: {exc}") from exc
    key = args.idempotency_key or f"hpcapi-submit:{uuid.uuid4().hex}"
    fields = _fields_for(ctx, script, label, _DefaultPartition(ctx))
    if args.dry_run:
        answer = ctx.client.submit(fields, dry_run=True)
        job = answer.get("job") or {}
        ctx.emit(answer, render.table(("FIELD", "VALUE"), sorted(job.items()))
                 if isinstance(job, dict) else str(job))
        ctx.say("dry run: everything checked, nothing submitted")
        return EXIT_OK
    # Always a key, even for one submit: it is what makes retrying a lost answer safe.
    answer = ctx.client.submit(fields, idempotency_key=key)
    jobid = str(answer.get("jobid") or answer.get("reason"))
    if answer.get("idempotent_replay"):
        ctx.say(f"job {jobid} was already submitted with this idempotency key")
    if not args.wait:
        ctx.emit(answer, f"Submitted batch job {jobid}")
        return EXIT_OK
    ctx.say(f"submitted batch job {jobid}; waiting")
    code, jobs = _wait_and_report(ctx, [jobid])
    ctx.emit(dict(answer, job=jobs[jobid]), _jobs_table(jobs))
    return code


def cmd_submit_many(ctx: Context) -> int:
    """hpcapi submit-many."""
    args = ctx.args
    if args.max_in_flight < 1:
        raise UsageError("--max-in-flight must be at least 1")
    run_id = args.run_id or f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
    if not RUN_ID_RE.fullmatch(run_id):
        raise UsageError("a run id is 1..64 characters of letters, digits and ._-")
    if args.directory and args.directory != "-":
        directory = Path(args.directory)
        if not directory.is_dir():
            raise UsageError(f"{directory} is not a directory")
        paths: Any = scripts_in_directory(directory, args.glob)
    else:
        paths = scripts_from_lines(ctx.stdin)
    if not args.run_id:
        ctx.say(f"run id {run_id}: to resume this run, repeat the command with --run-id {run_id}")
    partition = _DefaultPartition(ctx)
    client = ctx.client  # the credential is checked here, before any script is read

    def submit_one(content: str, key: str) -> tuple[str, bool]:
        answer = client.submit(_fields_for(ctx, content, key, partition), idempotency_key=key)
        return str(answer.get("jobid") or answer.get("reason")), bool(
            answer.get("idempotent_replay")
        )

    def report(result: ScriptResult) -> None:
        if result.error:
            ctx.say(f"{result.script}: {result.error}: {result.message}")

    stopped: RunStoppedError | None = None
    try:
        results = submit_many(paths, submit_one, run_id, args.max_in_flight, on_result=report)
    except RunStoppedError as exc:
        stopped, results = exc, exc.results
    jobs: dict[str, Any] = {}
    code = EXIT_OK if all(result.ok for result in results) else EXIT_API_ERROR
    if stopped is None and args.wait:
        submitted = [result.jobid for result in results if result.jobid]
        wait_code, jobs = _wait_and_report(ctx, submitted)
        code = code or wait_code
    rows = [
        [r.script, r.jobid, "replayed" if r.replayed else ("submitted" if r.ok else r.error),
         (jobs.get(r.jobid) or {}).get("state") if r.jobid else None]
        for r in results
    ]
    ctx.emit(
        {"run_id": run_id, "results": [r.to_dict() for r in results],
         **({"jobs": jobs} if jobs else {})},
        render.table(("SCRIPT", "JOBID", "RESULT", "STATE"), rows),
    )
    done = sum(1 for r in results if r.ok)
    ctx.say(f"run {run_id}: {done} of {len(results)} scripts have a job")
    if stopped is not None:
        raise stopped.cause
    return code


def cmd_history(ctx: Context) -> int:
    """hpcapi history."""
    if ctx.args.hours is not None and ctx.args.hours < 1:
        raise UsageError("--hours must be at least 1")
    answer = ctx.client.history(ctx.args.hours)
    ctx.emit(answer, _jobs_table(job_records(answer)))
    return EXIT_OK


def cmd_status(ctx: Context) -> int:
    """hpcapi status."""
    jobs: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for job_id in _job_ids(ctx.args.jobs):
        try:
            jobs[job_id] = ctx.client.job(job_id)
        except client_errors.AuthenticationError:
            raise
        except client_errors.ApiError as exc:
            errors[job_id] = {"reason": exc.reason, "message": exc.message}
            ctx.say(f"job {job_id}: error {exc.reason}: {exc.message}")
    ctx.emit({"jobs": jobs, "errors": errors}, _jobs_table(jobs) if jobs else "")
    return EXIT_API_ERROR if errors else EXIT_OK


def cmd_cancel(ctx: Context) -> int:
    """hpcapi cancel."""
    cancelled: list[str] = []
    errors: dict[str, Any] = {}
    for job_id in _job_ids(ctx.args.jobs):
        try:
            ctx.client.cancel(job_id)
            cancelled.append(job_id)
        except client_errors.AuthenticationError:
            raise
        except client_errors.ApiError as exc:
            errors[job_id] = {"reason": exc.reason, "message": exc.message}
            ctx.say(f"job {job_id}: error {exc.reason}: {exc.message}")
    ctx.emit({"cancelled": cancelled, "errors": errors},
             "\n".join(f"Cancelled job {job_id}" for job_id in cancelled))
    return EXIT_API_ERROR if errors else EXIT_OK


def cmd_wait(ctx: Context) -> int:
    """hpcapi wait."""
    code, jobs = _wait_and_report(ctx, _job_ids(ctx.args.jobs))
    ctx.emit({"jobs": jobs}, _jobs_table(jobs))
    return code


def cmd_partitions(ctx: Context) -> int:
    """hpcapi partitions."""
    partitions = ctx.client.partitions()
    # "default" is null where slurmrestd does not say (Slurm 23.11+): shown as unknown, not no.
    rows = [[p.get("name"), p.get("default"), p.get("state"),
             render.minutes(p.get("max_time")),
             render.minutes(p.get("default_time")) if p.get("default_time") is not None else None,
             p.get("max_nodes"), p.get("total_nodes"), p.get("total_cpus")] for p in partitions]
    ctx.emit(
        {"status": "call_success", "reason": "query_success", "partitions": partitions},
        render.table(("NAME", "DEFAULT", "STATE", "MAX_TIME", "DEFAULT_TIME", "MAX_NODES",
                      "NODES", "CPUS"), rows),
    )
    return EXIT_OK


def cmd_whoami(ctx: Context) -> int:
    """hpcapi whoami."""
    answer = ctx.client.whoami()
    rows = [(key, answer.get(key)) for key in ("principal", "local_user", "uid")]
    ctx.emit(answer, render.table(("FIELD", "VALUE"), rows))
    return EXIT_OK


def cmd_ping(ctx: Context) -> int:
    """hpcapi ping."""
    answer = ctx.client.ping()
    backend = answer.get("backend") or {}
    rows = [(key, backend.get(key)) for key in ("reachable", "api_version", "latency_ms")]
    for controller in backend.get("controllers") or []:
        text = (
            " ".join(f"{k}={v}" for k, v in controller.items())
            if isinstance(controller, dict) else controller
        )
        rows.append(("controller", text))
    ctx.emit(answer, render.table(("FIELD", "VALUE"), rows))
    return EXIT_OK


COMMANDS: dict[str, Callable[[Context], int]] = {
    "submit": cmd_submit,
    "submit-many": cmd_submit_many,
    "history": cmd_history,
    "status": cmd_status,
    "cancel": cmd_cancel,
    "wait": cmd_wait,
    "partitions": cmd_partitions,
    "whoami": cmd_whoami,
    "ping": cmd_ping,
}


def default_client_factory(config: ClientConfig, creds: Any) -> HpcapiClient:
    """The real client: requests-gssapi with the checked credential."""
    if config.url is None:
        raise client_errors.ConfigError("no server URL")
    return HpcapiClient(config.url, creds=creds, ca=config.ca)


def main(
    argv: list[str] | None = None,
    *,
    credential_factory: CredentialFactory = acquire_credentials,
    client_factory: ClientFactory = default_client_factory,
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
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0) if isinstance(exc.code, int | None) else EXIT_USAGE

    def fail(code: int, message: str) -> int:
        print(f"hpcapi: {message}", file=err, flush=True)
        return code

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

    def make_client() -> HpcapiClient:
        return client_factory(config, credential_factory(config.principal, config.keytab))

    ctx = Context(args=args, config=config, make_client=make_client, stdout=stdout or sys.stdout,
                  stderr=err, stdin=stdin or sys.stdin, environ=env, sleep=sleep)
    try:
        return COMMANDS[args.command](ctx)
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
