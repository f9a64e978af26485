"""Reading a job's output over the API: the request's parameters and the answer's shape.

``parse_output_query`` validates ``GET /hpcapi/job/<id>/output``'s query (stream, offset,
max_bytes, format); ``output_answer`` turns the bytes read into the JSON answer, text decoded
as UTF-8 with invalid bytes replaced and flagged. Who reads the file, and as whom, is not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hpcapi.errors import ErrorCode, HpcapiError

STREAMS = ("stdout", "stderr")
FORMATS = ("json", "raw")
DEFAULT_MAX_BYTES = 64 * 1024
# Offsets and sizes are byte counts of a file on a POSIX file system (off_t).
MAX_OFFSET = 2**63 - 1
_QUERY_KEYS = frozenset({"stream", "offset", "max_bytes", "format"})


@dataclass(frozen=True)
class OutputRequest:
    """What part of which stream the caller asks for."""

    stream: str = "stdout"
    offset: int = 0  # bytes from the start; negative: from the end (-4096 is a tail)
    max_bytes: int = DEFAULT_MAX_BYTES
    raw: bool = False  # the bytes themselves (text/plain) instead of the JSON answer


def _integer(key: str, text: str, low: int, high: int) -> int:
    """A decimal integer query parameter within [low, high], else bad_parameter."""
    body = text[1:] if text[:1] in "+-" else text
    if not (body.isdigit() and body.isascii()) or not low <= int(text) <= high:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER, f"{key} must be a whole number from {low} to {high}"
        )
    return int(text)


def parse_output_query(query: Mapping[str, str], cap: int) -> OutputRequest:
    """Validate the output query against the site's ``cap`` on max_bytes."""
    unknown = sorted(set(query) - _QUERY_KEYS)
    if unknown:
        raise HpcapiError(
            ErrorCode.BAD_PARAMETER,
            f"unknown query parameter {unknown[0]!r}: use {', '.join(sorted(_QUERY_KEYS))}",
        )
    stream = query.get("stream", "stdout")
    if stream not in STREAMS:
        raise HpcapiError(ErrorCode.BAD_PARAMETER, "stream must be stdout or stderr")
    form = query.get("format", "json")
    if form not in FORMATS:
        raise HpcapiError(ErrorCode.BAD_PARAMETER, "format must be json or raw")
    offset = _integer("offset", query.get("offset", "0"), -MAX_OFFSET, MAX_OFFSET)
    max_bytes = _integer("max_bytes", query.get("max_bytes", str(min(DEFAULT_MAX_BYTES, cap))),
                         1, cap)
    return OutputRequest(stream, offset, max_bytes, raw=form == "raw")


def start_of(request: OutputRequest, size: int) -> int:
    """The byte the read starts at in a file of ``size`` bytes (a tail from the end)."""
    if request.offset >= 0:
        return min(request.offset, size)
    return max(size + request.offset, 0)


def output_answer(
    job_id: str, request: OutputRequest, path: str, size: int, start: int, data: bytes,
    finished: bool,
) -> dict[str, Any]:
    """The JSON answer for ``data``, read at ``start`` of the ``size``-byte file at ``path``."""
    text = data.decode("utf-8", errors="replace")
    return {
        "job_id": job_id,
        "stream": request.stream,
        "path": path,
        "size": size,
        "offset": start,
        "bytes": len(data),
        "text": text,
        # A replacement character in the text that the bytes did not hold: invalid UTF-8.
        "invalid_utf8": text.count("\ufffd") > data.count("\ufffd".encode()),
        "eof": start + len(data) >= size,
        "job_finished": finished,
    }
