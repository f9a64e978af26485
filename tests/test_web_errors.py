"""Tests for the one failure shape (hpcapi/web/errors.py): routing errors, Werkzeug's own
refusals and unexpected exceptions all answer ``{"status": "call_failure", ...}`` as JSON."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from tests.web_helpers import assert_failure

# --- routing errors -----------------------------------------------------------------------------


def test_unknown_route_is_404_json(client: FlaskClient) -> None:
    assert_failure(client.get("/hpcapi/nope"), 404, "not_found")
    assert_failure(client.get("/"), 404, "not_found")


def test_post_to_whoami_is_405_json(client: FlaskClient) -> None:
    assert_failure(client.post("/hpcapi/whoami", json={}), 405, "method_not_allowed")
    assert_failure(client.delete("/hpcapi/ping"), 405, "method_not_allowed")


def test_405_names_the_allowed_methods(client: FlaskClient) -> None:
    response = client.post("/hpcapi/whoami", json={})
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert "GET" in allowed and "POST" not in allowed
    response = client.put("/hpcapi/job/26")
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert {"GET", "DELETE"} <= allowed and "PUT" not in allowed


def test_404_message_is_the_codes_summary(client: FlaskClient) -> None:
    body = assert_failure(client.get("/hpcapi/nope"), 404, "not_found")
    assert body["message"] == "no such endpoint"


def test_a_wrong_method_on_a_public_path_is_405_not_401(client: FlaskClient) -> None:
    assert_failure(client.post("/hpcapi/health", principal=None), 405, "method_not_allowed")


# --- Werkzeug's other refusals ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answered", "reason"),
    [
        (400, 400, "postdata_parse_error"),
        (413, 413, "postdata_too_big"),
        (415, 415, "wrong_content_type"),
        (418, 400, "bad_parameter"),  # an unmapped client error stays a client error
        (408, 408, "request_timeout"),
        (414, 414, "uri_too_long"),
        (431, 431, "headers_too_large"),
        (501, 500, "internal_error"),  # an unmapped server error is hpcapi's own
    ],
)
def test_werkzeug_refusals_become_named_codes(
    extra_client: FlaskClient, caplog: pytest.LogCaptureFixture, status: int, answered: int,
    reason: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="hpcapi"):
        assert_failure(extra_client.get(f"/hpcapi/test-only/abort/{status}"), answered, reason)
    unmapped = [r for r in caplog.records if "unmapped HTTP error" in r.getMessage()]
    assert bool(unmapped) == (status in (418, 501))


# --- unexpected errors --------------------------------------------------------------------------


def test_unexpected_exception_is_500_json_without_details(
    extra_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="hpcapi"):
        response = extra_client.get("/hpcapi/test-only/crash")
    body = assert_failure(response, 500, "internal_error")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert body["message"] == "an unexpected error inside hpcapi"
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


def test_unexpected_exception_is_audited_with_its_code(
    extra_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hpcapi.audit"):
        extra_client.get("/hpcapi/test-only/crash")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "hpcapi.audit"]
    assert "status=500 reason=internal_error" in line
