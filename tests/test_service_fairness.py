"""Tests for hpcapi.service.fairness: each user's share of a worker's requests."""

from __future__ import annotations

import threading

import pytest

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.service.fairness import InFlightLimiter


def test_a_user_over_the_share_is_refused_and_others_are_not() -> None:
    limiter = InFlightLimiter(2)
    limiter.acquire("alice")
    limiter.acquire("alice")
    with pytest.raises(HpcapiError) as caught:
        limiter.acquire("alice")
    assert caught.value.code is ErrorCode.TOO_MANY_REQUESTS
    assert caught.value.code.http_status == 429
    limiter.acquire("bob")
    assert (limiter.in_flight("alice"), limiter.in_flight("bob")) == (2, 1)


def test_a_released_slot_can_be_taken_again_and_idle_users_are_forgotten() -> None:
    limiter = InFlightLimiter(1)
    limiter.acquire("alice")
    limiter.release("alice")
    limiter.acquire("alice")
    limiter.release("alice")
    assert limiter._in_flight == {}  # no memory for users with nothing in progress


def test_the_slot_is_given_back_when_the_block_fails() -> None:
    limiter = InFlightLimiter(1)
    with pytest.raises(RuntimeError), limiter.slot("alice"):
        raise RuntimeError("boom")
    with limiter.slot("alice"):
        assert limiter.in_flight("alice") == 1
    assert limiter.in_flight("alice") == 0


def test_concurrent_acquires_never_exceed_the_share() -> None:
    limiter = InFlightLimiter(3)
    start = threading.Barrier(16)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        start.wait()
        try:
            limiter.acquire("alice")
            ok = True
        except HpcapiError:
            ok = False
        with lock:
            outcomes.append(ok)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(True) == 3
    assert limiter.in_flight("alice") == 3


def test_releasing_one_of_several_slots_keeps_the_others() -> None:
    limiter = InFlightLimiter(3)
    for _ in range(3):
        limiter.acquire("alice")
    limiter.release("alice")
    assert limiter.in_flight("alice") == 2
    limiter.acquire("alice")  # the freed slot, and no more
    with pytest.raises(HpcapiError):
        limiter.acquire("alice")
