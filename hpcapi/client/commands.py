"""What each ``hpcapi`` command does, once hpcapi.client.cli has parsed its command line.

A module of its own so that hpcapi.client.cli answers ``--help``, ``--version`` and usage
errors without importing it, and with it the transport (ssl, http.client, gssapi). The modules
only some commands use (``directives`` for the submits, ``many`` for submit-many, ``wait`` for
the commands that wait) are imported inside those commands, so that ``hpcapi status`` does not
load them.

A command prints its text with ``Context.emit`` and hands it its result, which
hpcapi.client.cli puts in the run's one ``--json`` document (hpcapi.client.render) with the
exit status, the warnings said through ``Context.warn`` and, for a failing status of the
command's own, the error named with ``Context.failed``. The result of each command is in
docs/cli-json.md.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from hpcapi.client import errors as client_errors
from hpcapi.client import render
from hpcapi.client.api import JOB_ID_RE, HpcapiClient, job_records
from hpcapi.client.cli import EXIT_API_ERROR, EXIT_JOB_FAILED, EXIT_OK, EXIT_WAIT_TIMEOUT
from hpcapi.client.config import ClientConfig
from hpcapi.client.times import local_time_text

if TYPE_CHECKING:
    from hpcapi.client.directives import Decision
    from hpcapi.client.wait import WaitPolicy


class UsageError(client_errors.ConfigError):
    """The command line asks for something impossible."""


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
    # What the --json document will hold (hpcapi.client.cli prints it once the command ends).
    result: Any = None
    error: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

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

    def warn(self, message: str) -> None:
        """A warning: on stderr, and in the --json document's ``warnings``."""
        with self._lock:
            self.warnings.append(message)
            print(f"hpcapi: warning: {message}", file=self.stderr, flush=True)

    def keep(self, result: Any) -> None:
        """The result so far, for the --json document should the command fail before emitting
        (a submitted job's id, while waiting for it)."""
        self.result = result

    def emit(self, result: Any, text: str) -> None:
        """The command's result: for the --json document with --json, else ``text`` on
        stdout."""
        self.result = result
        if not self.args.json and text:
            print(text, file=self.stdout)

    def failed(self, reason: str, message: str) -> None:
        """Name why the command's exit status is not 0 (one of render.CLIENT_REASONS)."""
        self.error = render.error_info(reason, message)


def _job_ids(ids: list[str]) -> list[str]:
    for job_id in ids:
        if not JOB_ID_RE.fullmatch(job_id):
            raise UsageError(f"{job_id!r} is not a job id")
    return ids


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
    ctx: Context, script: str, label: str, partition: _DefaultPartition,
    script_name: str | None, unnamed: str = "sbatch",
) -> tuple[dict[str, Any], Decision]:
    """The submit fields, as sbatch would shape the job; a UsageError naming what is not."""
    from hpcapi.client.directives import decide

    args = ctx.args
    decision = decide(
        script, getattr(args, "job_options", []), script_name=script_name, cwd=os.getcwd(),
        environ=ctx.environ, ignore_unsupported=args.ignore_unsupported,
        ignore_pbs=args.ignore_pbs, unnamed=unnamed,
    )
    for warning in decision.warnings:
        ctx.warn(f"{label}: {warning}")
    if decision.refusals:
        raise UsageError("\n".join(f"{label}: {refusal}" for refusal in decision.refusals))
    fields = decision.fields
    if "partition" not in fields:
        fields["partition"] = partition.get()
    arguments = getattr(args, "script_arguments", [])
    if arguments:
        fields["script-arguments"] = list(arguments)
    return fields, decision


def _wait_policy(args: argparse.Namespace) -> WaitPolicy:
    from hpcapi.client.wait import WaitPolicy

    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout <= 0:
        raise UsageError("--timeout must be positive")
    return WaitPolicy(timeout=timeout)


def _wait_and_report(ctx: Context, job_ids: list[str]) -> tuple[int, dict[str, Any]]:
    from hpcapi.client.wait import ProgressLine, WaitTimeoutError, succeeded, wait_for_jobs

    try:
        jobs = wait_for_jobs(
            ctx.client, job_ids, _wait_policy(ctx.args),
            progress=ProgressLine(ctx.stderr), sleep=ctx.sleep,
        )
        code = EXIT_OK if all(succeeded(job) for job in jobs.values()) else EXIT_JOB_FAILED
    except WaitTimeoutError as exc:
        jobs = exc.jobs
        ctx.say("timed out before every job finished")
        ctx.failed("wait_timeout", "timed out before every job finished")
        return EXIT_WAIT_TIMEOUT, jobs
    failed = [job_id for job_id, job in jobs.items() if not succeeded(job)]
    for job_id in failed:
        job = jobs[job_id]
        ctx.say(f"job {job_id} ended {job.get('state')} (exit code {job.get('exit_code')})")
    if code != EXIT_OK:
        ctx.failed("job_failed", f"{len(failed)} of {len(jobs)} jobs did not complete"
                   f" successfully: {', '.join(sorted(failed, key=render.job_sort_key))}")
    return code, jobs


JOB_COLUMNS = ("JOBID", "NAME", "PARTITION", "STATE", "REASON", "EXIT", "SUBMIT", "START", "END")


def _job_row(job_id: str, job: Mapping[str, Any]) -> list[Any]:
    return [job_id, job.get("name"), job.get("partition"), job.get("state"), job.get("reason"),
            job.get("exit_code"),
            *(local_time_text(job.get(key)) for key in ("submit", "start", "end"))]


def _jobs_table(jobs: Mapping[str, Mapping[str, Any]]) -> str:
    ordered = sorted(jobs, key=render.job_sort_key)
    return render.table(JOB_COLUMNS, [_job_row(job_id, jobs[job_id]) for job_id in ordered])


def _read_stdin(ctx: Context) -> str:
    # The bytes as they are (sbatch refuses "\r\n"); a text stream without a buffer, as in
    # tests, is read as it is.
    raw = getattr(ctx.stdin, "buffer", None)
    return raw.read().decode("utf-8") if raw is not None else ctx.stdin.read()


def wrap_script(command: str) -> str:
    """The script sbatch --wrap makes of a command string (_script_wrap() in sbatch.c)."""
    return f"#!/bin/sh\n# This script was created by sbatch --wrap.\n\n{command}\n"


def cmd_submit(ctx: Context) -> int:
    """hpcapi submit."""
    args = ctx.args
    arguments = getattr(args, "script_arguments", [])
    if args.wrap is not None and (args.script is not None or arguments):
        raise UsageError("Script arguments not permitted with --wrap option")  # as sbatch
    # sbatch reads the script from stdin when no file is named.
    stdin = args.wrap is None and args.script in (None, "-")
    label = "--wrap" if args.wrap is not None else "stdin" if stdin else args.script
    try:
        from hpcapi.client.directives import read_script

        if args.wrap is not None:
            script = wrap_script(args.wrap)
        else:
            script = _read_stdin(ctx) if stdin else read_script(args.script)
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {label}: {exc}") from exc
    if not script:
        raise UsageError(f"{label}: Batch script is empty!")  # sbatch's words
    key = args.idempotency_key or f"hpcapi-submit:{uuid.uuid4().hex}"
    fields, decision = _fields_for(
        ctx, script, label, _DefaultPartition(ctx),
        None if stdin or args.wrap is not None else args.script,
        unnamed="wrap" if args.wrap is not None else "sbatch",
    )
    # "#SBATCH --wait" and "--parsable" change what sbatch does, so they change what we do.
    wait = args.wait or "wait" in decision.client
    parsable = args.parsable or "parsable" in decision.client
    if args.show_output and not wait:
        raise UsageError("--show-output needs --wait: the output is read once the job ends")
    if args.dry_run:
        answer = ctx.client.submit(fields, dry_run=True)
        body = answer.get("job") or {}
        ctx.emit(_submit_result(answer, None, None, body),
                 render.fields_text(body) if isinstance(body, dict) else str(body))
        ctx.say("dry run: everything checked, nothing submitted")
        return EXIT_OK
    # Always a key, even for one submit: it is what makes retrying a lost answer safe.
    answer = ctx.client.submit(fields, idempotency_key=key)
    jobid = str(answer.get("jobid") or answer.get("reason"))
    if answer.get("idempotent_replay"):
        ctx.say(f"job {jobid} was already submitted with this idempotency key")
    if parsable and not args.json:
        # sbatch --parsable prints "<id>" or "<id>;<cluster>"; the answer names no cluster.
        print(jobid, file=ctx.stdout, flush=True)
    if not wait:
        ctx.emit(_submit_result(answer, jobid, key),
                 "" if parsable else f"Submitted batch job {jobid}")
        return EXIT_OK
    ctx.say(f"submitted batch job {jobid}; waiting")
    ctx.keep(_submit_result(answer, jobid, key))  # a failed wait still tells the job's id
    code, jobs = _wait_and_report(ctx, [jobid])
    result = _submit_result(answer, jobid, key, job=jobs[jobid])
    shown = "" if parsable else _jobs_table(jobs)
    if args.show_output:
        # The job has finished: its stdout is complete (stderr too, if it went there).
        result["output"] = _read_output(ctx, jobid, "stdout", 0, follow=False, echo=False)
        shown = "\n".join(part for part in (shown, result["output"].rstrip("\n")) if part)
    ctx.emit(result, shown)
    return code


def _submit_result(answer: Mapping[str, Any], jobid: str | None, key: str | None,
                   submit_body: Any = None, job: Any = None) -> dict[str, Any]:
    """The --json result of submit (docs/cli-json.md)."""
    return {
        "jobid": jobid,
        "dry_run": jobid is None,
        "replayed": bool(answer.get("idempotent_replay")),
        "idempotency_key": key,
        "sbatch_lines_removed": answer.get("sbatch_lines_removed"),
        "submit_body": submit_body,
        "job": job,
    }


def cmd_submit_many(ctx: Context) -> int:
    """hpcapi submit-many."""
    from hpcapi.client.many import (
        RUN_ID_RE,
        RunStoppedError,
        ScriptResult,
        scripts_from_lines,
        scripts_in_directory,
        submit_many,
    )

    args = ctx.args
    if args.max_in_flight < 1:
        raise UsageError("--max-in-flight must be at least 1")
    run_id = args.run_id or f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
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

    def submit_one(path: Path, content: str, key: str) -> tuple[str, bool]:
        fields, _ = _fields_for(ctx, content, str(path), partition, str(path))
        answer = client.submit(fields, idempotency_key=key)
        return str(answer.get("jobid") or answer.get("reason")), bool(
            answer.get("idempotent_replay")
        )

    def report(result: ScriptResult) -> None:
        if result.error:
            ctx.say(f"{result.script}: {result.error}: {result.message}")

    stopped: RunStoppedError | None = None
    try:
        results = submit_many(paths, submit_one, run_id, args.max_in_flight, on_result=report,
                              with_path=True)
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
        {"run_id": run_id, "results": [r.to_dict() for r in results], "jobs": jobs},
        render.table(("SCRIPT", "JOBID", "RESULT", "STATE"), rows),
    )
    done = sum(1 for r in results if r.ok)
    ctx.say(f"run {run_id}: {done} of {len(results)} scripts have a job")
    if done < len(results):
        ctx.failed("partial_failure", f"{len(results) - done} of {len(results)} scripts have"
                   " no job")
    if stopped is not None:
        raise stopped.cause
    return code


def cmd_history(ctx: Context) -> int:
    """hpcapi history."""
    if ctx.args.hours is not None and ctx.args.hours < 1:
        raise UsageError("--hours must be at least 1")
    jobs = job_records(ctx.client.history(ctx.args.hours))
    ctx.emit({"hours": ctx.args.hours, "jobs": jobs}, _jobs_table(jobs))
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
            errors[job_id] = render.api_error_info(exc)
            ctx.say(f"job {job_id}: error {exc.reason}: {exc.message}")
    ctx.emit({"jobs": jobs, "errors": errors}, _jobs_table(jobs) if jobs else "")
    return _partial(ctx, errors, len(ctx.args.jobs))


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
            errors[job_id] = render.api_error_info(exc)
            ctx.say(f"job {job_id}: error {exc.reason}: {exc.message}")
    ctx.emit({"cancelled": cancelled, "errors": errors},
             "\n".join(f"Cancelled job {job_id}" for job_id in cancelled))
    return _partial(ctx, errors, len(ctx.args.jobs))


def cmd_output(ctx: Context) -> int:
    """hpcapi output."""
    args = ctx.args
    job_id = _job_ids([args.job])[0]
    stream = "stderr" if args.stderr else "stdout"
    if args.tail is not None and args.tail < 1:
        raise UsageError("--tail must be a positive number of bytes")
    offset = -args.tail if args.tail is not None else 0
    text = _read_output(ctx, job_id, stream, offset, follow=args.follow, echo=not args.json)
    if args.json:
        ctx.emit({"job_id": job_id, "stream": stream, "text": text}, "")
    return EXIT_OK


def _read_output(ctx: Context, job_id: str, stream: str, offset: int, *, follow: bool,
                 echo: bool) -> str:
    """A job's output from ``offset`` to its end (printed as it comes if ``echo``); with
    ``follow``, until the job has finished and the file has stopped growing."""
    pieces: list[str] = []
    for text in ctx.client.follow_output(job_id, stream, offset, follow=follow, sleep=ctx.sleep):
        pieces.append(text)
        if echo:
            print(text, end="", file=ctx.stdout, flush=True)
    return "".join(pieces)


def _partial(ctx: Context, errors: Mapping[str, Any], count: int) -> int:
    """Exit 1 naming the jobs the server refused, if any; else 0."""
    if not errors:
        return EXIT_OK
    ctx.failed("partial_failure", f"{len(errors)} of {count} jobs failed: "
               + ", ".join(f"{job_id} ({error['reason']})" for job_id, error in errors.items()))
    return EXIT_API_ERROR


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
        {"partitions": partitions},
        render.table(("NAME", "DEFAULT", "STATE", "MAX_TIME", "DEFAULT_TIME", "MAX_NODES",
                      "NODES", "CPUS"), rows),
    )
    return EXIT_OK


def cmd_whoami(ctx: Context) -> int:
    """hpcapi whoami."""
    answer = ctx.client.whoami()
    rows = [(key, answer.get(key)) for key in ("principal", "local_user", "uid")]
    ctx.emit(_without_status(answer), render.table(("FIELD", "VALUE"), rows))
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
    ctx.emit(_without_status(answer), render.table(("FIELD", "VALUE"), rows))
    return EXIT_OK


def _without_status(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A server answer as a result: its ``status`` and ``reason`` are the document's ``ok``."""
    return {key: value for key, value in answer.items() if key not in ("status", "reason")}


COMMANDS: dict[str, Callable[[Context], int]] = {
    "submit": cmd_submit,
    "submit-many": cmd_submit_many,
    "history": cmd_history,
    "status": cmd_status,
    "output": cmd_output,
    "cancel": cmd_cancel,
    "wait": cmd_wait,
    "partitions": cmd_partitions,
    "whoami": cmd_whoami,
    "ping": cmd_ping,
}


def default_client_factory(config: ClientConfig, creds: Any) -> HpcapiClient:
    """The real client: HTTPS with SPNEGO from the checked credential."""
    if config.url is None:
        raise client_errors.ConfigError("no server URL")
    return HpcapiClient(config.url, creds=creds, ca=config.ca)
