"""The per-user share of a worker, through the app: 429 with Retry-After, other users served."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from conftest import AppFactory, FakeAnswer, FakeSlurmrestd, make_server_config

PING = "/slurm/v0.0.38/ping"


@pytest.fixture
def blocked_ping(fake_slurmrestd: FakeSlurmrestd,
                 monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """slurmrestd's ping answers only once ``release`` is set; ``entered`` says one waits."""
    entered, release = threading.Event(), threading.Event()
    send = fake_slurmrestd.send

    def blocking_send(method: str, target: str, *args: Any) -> FakeAnswer:
        if target.endswith(PING):
            entered.set()
            release.wait(10)
        return send(method, target, *args)

    monkeypatch.setattr(fake_slurmrestd, "send", blocking_send)
    return entered, release


def test_a_users_request_over_the_share_is_429_and_another_users_is_served(
    make_app: AppFactory, blocked_ping: tuple[threading.Event, threading.Event]
) -> None:
    app = make_app(config=make_server_config(in_flight_per_user=1))
    entered, release = blocked_ping
    answers: list[int] = []
    first = threading.Thread(target=lambda: answers.append(
        app.test_client().get("/hpcapi/ping").status_code))
    first.start()
    try:
        assert entered.wait(5)
        refused = app.test_client().get("/hpcapi/query_status")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.get_json()["reason"] == "too_many_requests"
        bob = app.test_client().get("/hpcapi/whoami", principal="bob@HPCAPI.TEST")
        assert bob.status_code == 200
    finally:
        release.set()
        first.join(10)
    assert answers == [200]
    # The slot came back when the first request ended.
    assert app.test_client().get("/hpcapi/whoami").status_code == 200
    assert app.extensions["hpcapi"].limiter.in_flight("alice") == 0


def test_failed_requests_give_their_slot_back(make_app: AppFactory) -> None:
    app = make_app(config=make_server_config(in_flight_per_user=1))
    client = app.test_client()
    for _ in range(3):
        assert client.get("/hpcapi/job/not-a-number").status_code == 404
    assert client.get("/hpcapi/whoami").status_code == 200


def test_refused_principals_take_no_slot(make_app: AppFactory) -> None:
    app = make_app(config=make_server_config(in_flight_per_user=1))
    assert app.test_client().get("/hpcapi/whoami", principal="mallory@EVIL.ORG").status_code == 403
    assert app.extensions["hpcapi"].limiter._in_flight == {}
