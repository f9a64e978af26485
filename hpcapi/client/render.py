"""Readable output: plain aligned tables and Slurm-style durations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


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
