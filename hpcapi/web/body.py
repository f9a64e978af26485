"""Reading a JSON request body: content type, size (via MAX_CONTENT_LENGTH) and syntax."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Flask, current_app, request

from hpcapi.errors import ErrorCode, HpcapiError


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Which copy wins differs between parsers; refusing removes the ambiguity.
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def read_json_body() -> Any:
    """The request's JSON document, or a named error for the wrong type or bad syntax."""
    mimetype = request.mimetype
    if mimetype != "application/json":
        raise HpcapiError(
            ErrorCode.WRONG_CONTENT_TYPE,
            f"send the body as application/json, not {mimetype or 'no content type'}",
        )
    raw = request.get_data(cache=False)  # past MAX_CONTENT_LENGTH: 413 postdata_too_big
    try:
        return json.loads(
            raw.decode("utf-8"),
            parse_constant=_refuse_constant,
            object_pairs_hook=_refuse_duplicates,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise HpcapiError(
            ErrorCode.POSTDATA_PARSE_ERROR, f"the body is not valid JSON: {exc}"[:300]
        ) from exc


def _buffer_unsized_body() -> None:
    """Count a body sent without Content-Length (chunked) while it streams in; refuse it past
    the limit. Werkzeug would silently cut it to MAX_CONTENT_LENGTH instead."""
    environ = request.environ
    if environ.get("CONTENT_LENGTH") or not environ.get("wsgi.input_terminated"):
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    stream = environ["wsgi.input"]
    received = bytearray()
    while len(received) <= limit:
        chunk = stream.read(limit + 1 - len(received))
        if not chunk:
            break
        received += chunk
    if len(received) > limit:
        raise HpcapiError(
            ErrorCode.POSTDATA_TOO_BIG, f"the request body is larger than {limit} bytes"
        )
    environ["wsgi.input"] = io.BytesIO(bytes(received))
    environ["CONTENT_LENGTH"] = str(len(received))


def register(app: Flask) -> None:
    """Install the body-size guard (after the identity check, so anonymous callers get 401)."""
    app.before_request(_buffer_unsized_body)
