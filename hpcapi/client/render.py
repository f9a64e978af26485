"""The CLI's output: plain aligned tables and Slurm-style durations for people, and the one
JSON document every command prints with ``--json``.

With ``--json`` every ``hpcapi`` command prints exactly one JSON object on stdout, whether it
succeeded or not (``--help`` and ``--version`` excepted: they print text), built by ``envelope``::

    {
      "hpcapi_cli_json": 1,       # the version of this shape; a change that breaks readers
                                  # of it gets a new number, new keys do not
      "command": "submit",        # the command that ran (null if the command line was unusable)
      "ok": true,                 # exit_code == 0
      "exit_code": 0,             # the process's exit status, as documented in hpcapi.client.cli
      "result": {...},            # the command's result (docs/cli-json.md has each one), or
                                  # null when it failed before having one
      "error": null,              # when ok is false: {"reason", "message", "http_status",
                                  # "details"}; reason is the server's code (bad_partition, ...)
                                  # or one of CLIENT_REASONS, http_status null for the latter
      "warnings": []              # what was said on stderr as a warning, e.g. #SBATCH lines not
                                  # carried over
    }

Messages for people still go to stderr, JSON or not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hpcapi.client.errors import ApiError

JSON_SHAPE_VERSION = 1

# The reasons of errors that are the client's own, not a server code (hpcapi.errors has those):
# never the same as a server code, so a pipeline can tell them apart by name alone.
CLIENT_REASONS = {
    "usage": "the command line asks for something impossible",
    "config": "the client configuration is unusable",
    "tls": "the server's certificate could not be verified",
    "no_credentials": "no usable Kerberos credential; nothing was sent",
    "unreachable": "the server could not be reached",
    "client_error": "the client failed otherwise (the message says how)",
    "interrupted": "interrupted (SIGINT)",
    "partial_failure": "some jobs or scripts failed: result.errors or result.results say which",
    "job_failed": "a job waited for did not complete successfully",
    "wait_timeout": "the jobs were not all finished when --timeout ran out",
}


def cell(value: Any) -> str:
    """One table cell: ``-`` for unknown, ``yes``/``no`` for booleans."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An aligned text table, like squeue's, without a trailing newline."""
    text_rows = [[cell(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in text_rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(value))
    lines = [
        "  ".join(value.ljust(widths[index]) for index, value in enumerate(row)).rstrip()
        for row in [list(headers), *text_rows]
    ]
    return "\n".join(lines)


def minutes(value: Any) -> str:
    """Minutes as Slurm shows a time limit: ``D-HH:MM:SS``, or UNLIMITED for null."""
    if value is None:
        return "UNLIMITED"
    try:
        total = int(value)
    except (TypeError, ValueError):
        return str(value)
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    clock = f"{hours:02d}:{mins:02d}:00"
    return f"{days}-{clock}" if days else clock


def job_sort_key(job_id: str) -> tuple[int, str]:
    """Sort job ids numerically, array tasks after their job."""
    head = job_id.split("_")[0]
    return (int(head) if head.isdigit() else 0, job_id)


def error_info(
    reason: str,
    message: str,
    http_status: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``error`` object of the JSON document (also each item of ``result.errors``)."""
    return {"reason": reason, "message": message, "http_status": http_status,
            "details": dict(details or {})}


def api_error_info(exc: ApiError) -> dict[str, Any]:
    """The ``error`` object of a server's refusal; its extra keys become ``details``."""
    details = {key: value for key, value in exc.body.items()
               if key not in ("status", "reason", "message")}
    return error_info(exc.reason, exc.message, exc.status, details)


def envelope(
    command: str | None,
    exit_code: int,
    result: Any,
    error: Mapping[str, Any] | None = None,
    warnings: Iterable[str] = (),
) -> dict[str, Any]:
    """The one JSON document of every command's ``--json`` output (the module docstring)."""
    return {
        "hpcapi_cli_json": JSON_SHAPE_VERSION,
        "command": command,
        "ok": exit_code == 0,
        "exit_code": exit_code,
        "result": result,
        "error": None if exit_code == 0 else dict(error) if error else None,
        "warnings": list(warnings),
    }


def json_text(document: Mapping[str, Any]) -> str:
    """The document as printed: indented, keys in the order built, UTF-8 kept readable."""
    return json.dumps(document, indent=2, ensure_ascii=False)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested objects and lists as ``(dotted.key[index], scalar)`` rows, sorted by key."""
    if isinstance(value, Mapping) and value:
        rows = [row for key in sorted(value)
                for row in flatten(value[key], f"{prefix}.{key}" if prefix else str(key))]
        return rows
    if isinstance(value, list | tuple) and value:
        return [row for index, item in enumerate(value)
                for row in flatten(item, f"{prefix}[{index}]")]
    return [(prefix, None if isinstance(value, Mapping | list | tuple) else value)]


def fields_text(value: Mapping[str, Any]) -> str:
    """A FIELD/VALUE table of a nested object; multi-line strings (a script) printed after it."""
    rows: list[tuple[str, Any]] = []
    blocks: list[str] = []
    for key, item in flatten(value):
        if isinstance(item, str) and "\n" in item.rstrip("\n"):
            lines = item.rstrip("\n").split("\n")
            rows.append((key, f"({len(lines)} lines, below)"))
            blocks.append(f"{key}:\n" + "\n".join(f"    {line}".rstrip() for line in lines))
        else:
            rows.append((key, item))
    return "\n\n".join([table(("FIELD", "VALUE"), rows), *blocks])
