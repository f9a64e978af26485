"""Test helper for the Flask layer: the one answer shape, and endpoints only tests have."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, request
from werkzeug.test import TestResponse

from hpcapi.web.responses import success

ERROR_KEYS = {"status", "reason", "message", "request_id"}


def assert_failure(response: TestResponse, status: int, reason: str) -> dict[str, Any]:
    """The response is a call_failure with exactly FRCE's three keys and the request's id (the
    answer's X-Request-ID), as JSON, with this status; returned without the id."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.content_type == "application/json"
    body = response.get_json()
    assert isinstance(body, dict)
    assert set(body) == ERROR_KEYS
    assert body["status"] == "call_failure"
    assert body["reason"] == reason
    assert isinstance(body["message"], str) and body["message"]
    assert body.pop("request_id") == response.headers["X-Request-ID"]
    return body


def assert_success(response: TestResponse, reason: str) -> dict[str, Any]:
    """The response is a 200 call_success JSON body, ``status`` first and ``reason`` last."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert isinstance(body, dict)
    keys = list(body)
    assert keys[0] == "status" and keys[-1] == "reason", keys
    assert body["status"] == "call_success"
    assert body["reason"] == reason
    return body


def sent_json(request: Any) -> Any:
    """The JSON body of a request the fake slurmrestd recorded."""
    raw = request.body
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)


def extra_blueprint() -> Blueprint:
    """Endpoints that exist only in these tests: a body reader, a crash and a Werkzeug abort."""
    blueprint = Blueprint("testonly", __name__, url_prefix="/hpcapi/test-only")

    @blueprint.post("/echo")
    def echo() -> Any:
        return success("echo_success", size=len(request.get_data()))

    @blueprint.get("/crash")
    def crash() -> Any:
        raise RuntimeError("secret internal detail")

    @blueprint.get("/abort/<int:status>")
    def aborted(status: int) -> Any:
        abort(status)

    return blueprint
