"""The unauthenticated health check for load balancers, through Apache."""

from __future__ import annotations

import pytest

from tests.integration.conftest import curl

pytestmark = pytest.mark.e2e


def test_health_needs_no_ticket_and_reveals_no_user_data(stack):
    result = curl(stack, "health")
    assert result.status == 200
    body = result.json()
    assert body["status"] == "call_success"
    assert body["reason"] == "healthy"
    assert body["backend"]["reachable"] is True
    assert body["backend"]["api_version"].startswith("v0.0.")
    assert set(body) == {"status", "backend", "reason"}
    assert "alice" not in result.body and "principal" not in result.body


def test_health_is_get_only(stack):
    result = curl(stack, "health", None, "-X", "POST", "-H", "Content-Type: application/json",
                  "--data-binary", "{}")
    assert result.status == 405
    assert result.json()["reason"] == "method_not_allowed"


def test_health_does_not_open_other_endpoints(stack):
    assert curl(stack, "whoami", None, "-H", "X-Remote-User: alice@HPCAPI.TEST").status == 401
    assert curl(stack, "health/../whoami", None, "--path-as-is").status in (400, 401, 404)


def test_live_and_ready_probes_need_no_ticket(stack):
    live = curl(stack, "health/live")
    assert (live.status, live.json()) == (200, {"status": "call_success", "reason": "alive"})
    ready = curl(stack, "health/ready")
    assert (ready.status, ready.json()["reason"]) == (200, "ready")
    assert ready.json()["backend"]["api_version"].startswith("v0.0.")
    # Only these two paths are public: anything under them is Kerberos-protected as before.
    assert curl(stack, "health/live/x").status == 401
