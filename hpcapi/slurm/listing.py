"""Decode a slurmrestd list answer one record at a time.

A job list is the largest thing hpcapi reads: Slurm 22.05's accounting answer is 2.5-10 KB of JSON
a job, so megabytes for a busy user, and decoded whole it becomes a tree of Python objects several
times that size, all alive at once. Reading each record as soon as it is decoded keeps only what
hpcapi keeps of it, so a worker's memory no longer grows with how many jobs a user has: the text
itself is one block that goes straight back to the system, a fragmented heap does not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

Record = TypeVar("Record")

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def decode_listing(
    text: str, list_key: str, read: Callable[[dict[str, Any]], Record]
) -> tuple[dict[str, Any], list[Record]]:
    """Decode a JSON object, passing each object of its ``list_key`` array to ``read`` as decoded.

    Returns the object without ``list_key`` and what ``read`` returned, in order; items that are
    not objects are skipped, as is a ``list_key`` that is not an array. Raises JSONDecodeError for
    text that ``json.loads`` would refuse, or that repeats ``list_key``; what ``read`` raises
    passes through."""
    rest: dict[str, Any] = {}
    records: list[Record] = []
    seen_list = False
    pos = _skip(text, _expect(text, 0, "{"))
    while _peek(text, pos) != "}":
        pos = _expect(text, pos, '"')
        key, pos = json.decoder.scanstring(text, pos)  # type: ignore[attr-defined]
        pos = _skip(text, _expect(text, pos, ":"))
        if key == list_key and _peek(text, pos) == "[":
            if seen_list:
                raise json.JSONDecodeError(f"{list_key!r} repeated", text, pos)
            seen_list = True
            rest.pop(key, None)
            pos = _read_array(text, pos + 1, read, records)
        else:
            if key == list_key:
                seen_list = True
            rest[key], pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if _peek(text, pos) != "}":
            pos = _skip(text, _expect(text, pos, ","))
            if _peek(text, pos) == "}":
                raise json.JSONDecodeError("Trailing comma", text, pos)
    if _skip(text, pos + 1) != len(text):
        raise json.JSONDecodeError("Extra data", text, pos + 1)
    return rest, records


def _read_array(text: str, pos: int, read: Callable[[dict[str, Any]], Record],
                records: list[Record]) -> int:
    """Read the array whose ``[`` ends before ``pos``; return the position after its ``]``."""
    pos = _skip(text, pos)
    if _peek(text, pos) == "]":
        return pos + 1
    while True:
        item, pos = _DECODER.raw_decode(text, pos)
        if isinstance(item, dict):
            records.append(read(item))
        del item  # before the next one is decoded: one record's tree at a time
        pos = _skip(text, pos)
        if _peek(text, pos) == "]":
            return pos + 1
        pos = _skip(text, _expect(text, pos, ","))


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _peek(text: str, pos: int) -> str:
    return text[pos:pos + 1]


def _expect(text: str, pos: int, char: str) -> int:
    """The position after ``char``, which must be at ``pos``."""
    pos = _skip(text, pos)
    if _peek(text, pos) != char:
        raise json.JSONDecodeError(f"Expecting {char!r}", text, pos)
    return pos + 1
