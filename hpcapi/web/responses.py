"""The one response shape: ``{"status": "call_success" | "call_failure", "reason": ...}``."""

from __future__ import annotations

from typing import Any

from flask import Response, json, jsonify

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.service.fairness import RETRY_AFTER_SECONDS


def success(reason: str, **fields: Any) -> Response:
    """A ``call_success`` answer with FRCE's two keys first and any extra keys after them."""
    body: dict[str, Any] = {"status": "call_success"}
    body.update(fields)
    body["reason"] = reason
    return jsonify(body)


def member(key: str, value: Any) -> bytes:
    """One ``"key": value`` of an answer, encoded as ``success`` encodes it (jsonify is
    compact outside debug mode)."""
    return f"{json.dumps(key)}:{json.dumps(value, separators=(',', ':'))}".encode()


def success_of_members(reason: str, members: list[bytes]) -> Response:
    """``success(reason, ...)`` made of members already encoded (see ``member``)."""
    body = b",".join([member("status", "call_success"), *members, member("reason", reason)])
    return Response(b"{" + body + b"}\n", mimetype="application/json")


def failure(error: HpcapiError, request_id: str | None = None) -> Response:
    """A ``call_failure`` answer with the code's HTTP status (and the request's id)."""
    body = error.to_body()
    if request_id:
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = error.code.http_status
    if error.code.http_status == 401:
        response.headers["WWW-Authenticate"] = "Negotiate"
    if error.code is ErrorCode.TOO_MANY_REQUESTS:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
