"""Decode a slurmrestd list answer one record at a time, as it arrives.

A job list is the largest thing hpcapi reads: Slurm 22.05's accounting answer is 2.5-10 KB of JSON
a job, so megabytes for a busy user and a hundred for ten thousand jobs. Decoded whole, it is held
three times over (the bytes, the text, and a tree of Python objects several times their size). Here
the text is decoded as it comes off the socket and each record is handed to ``read`` as soon as it
is complete, so what a list costs a worker is what hpcapi keeps of each record, whatever the
number of jobs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

Record = TypeVar("Record")

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_GOES_ON = frozenset("0123456789.eE+-")


def decode_listing(
    chunks: Iterable[str], list_key: str, read: Callable[[dict[str, Any]], Record]
) -> tuple[dict[str, Any], list[Record]]:
    """Decode a JSON object given in pieces, passing each object of its ``list_key`` array to
    ``read`` as soon as it is decoded.

    Returns the object without ``list_key`` and what ``read`` returned, in order; items that are
    not objects are skipped, as is a ``list_key`` that is not an array. Raises JSONDecodeError for
    text that ``json.loads`` would refuse, or that repeats ``list_key``; what ``read`` raises, or
    what iterating ``chunks`` raises, passes through."""
    stream = _Stream(iter(chunks))
    rest: dict[str, Any] = {}
    records: list[Record] = []
    seen_list = False
    stream.expect("{")
    stream.skip_whitespace()
    while stream.peek() != "}":
        stream.skip_whitespace()
        if stream.peek() != '"':
            raise stream.error("Expecting property name enclosed in double quotes")
        key = stream.decode(_scan_key)
        stream.expect(":")
        stream.skip_whitespace()
        if key == list_key and stream.peek() == "[":
            if seen_list:
                raise stream.error(f"{list_key!r} repeated")
            seen_list = True
            stream.pos += 1
            _read_array(stream, read, records)
        else:
            seen_list = seen_list or key == list_key
            rest[key] = stream.decode(_DECODER.raw_decode)
        stream.skip_whitespace()
        if stream.peek() != "}":
            stream.expect(",")
            stream.skip_whitespace()
            if stream.peek() == "}":
                raise stream.error("Trailing comma")
    stream.pos += 1
    stream.skip_whitespace()
    if stream.peek():
        raise stream.error("Extra data")
    return rest, records


def _read_array(stream: _Stream, read: Callable[[dict[str, Any]], Record],
                records: list[Record]) -> None:
    """Read the rest of an array whose ``[`` has been read, up to and including its ``]``."""
    stream.skip_whitespace()
    if stream.peek() == "]":
        stream.pos += 1
        return
    while True:
        item = stream.decode(_DECODER.raw_decode)
        if isinstance(item, dict):
            records.append(read(item))
        del item  # before the next one is decoded: one record's tree at a time
        stream.skip_whitespace()
        if stream.peek() == "]":
            stream.pos += 1
            return
        stream.expect(",")
        stream.skip_whitespace()


def _scan_key(text: str, pos: int) -> tuple[str, int]:
    """Decode the string whose opening quote is at ``pos``."""
    return json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined,no-any-return]


class _Stream:
    """Text that arrives in pieces, read from a position; text already read is let go."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.text = ""
        self.pos = 0
        self._ended = False

    def more(self) -> bool:
        """Add at least as much text as is left unread (or any, if none is); False at the end.

        Keeping what is unread and at least doubling it means a value cut short by a piece's
        end is decoded again only a few times, whatever its length."""
        if self._ended:
            return False
        unread = self.text[self.pos:]
        pieces = [unread]
        added = 0
        while added < max(len(unread), 1):
            piece = next(self._chunks, None)
            if piece is None:
                self._ended = True
                break
            pieces.append(piece)
            added += len(piece)
        if not added:
            return False
        self.text, self.pos = "".join(pieces), 0
        return True

    def peek(self) -> str:
        """The character at the position, or "" at the end of the text."""
        while self.pos >= len(self.text):
            if not self.more():
                return ""
        return self.text[self.pos]

    def skip_whitespace(self) -> None:
        """Move past any JSON whitespace."""
        while True:
            match = _WHITESPACE.match(self.text, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.text) or not self.more():
                return

    def expect(self, char: str) -> None:
        """Move past ``char``, after any whitespace, or raise JSONDecodeError."""
        self.skip_whitespace()
        if self.peek() != char:
            raise self.error(f"Expecting {char!r} delimiter")
        self.pos += 1

    def decode(self, parse: Callable[[str, int], tuple[Any, int]]) -> Any:
        """The value ``parse`` decodes at the position, reading on while it may be cut short."""
        while True:
            try:
                value, end = parse(self.text, self.pos)
            except json.JSONDecodeError:
                if self.more():
                    continue  # the value may only be cut short: decode it again, longer
                raise
            # A number may go on in the next piece (12|34, 0|.5, 1|e3): decode it again with
            # more text unless what follows it cannot be part of it.
            if (end < len(self.text) and self.text[end] not in _NUMBER_GOES_ON) or not self.more():
                self.pos = end
                return value

    def error(self, message: str) -> json.JSONDecodeError:
        """A JSONDecodeError at the position."""
        return json.JSONDecodeError(message, self.text, self.pos)
