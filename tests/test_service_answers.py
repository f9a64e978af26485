"""Tests for hpcapi.service.answers: coalescing, staleness, read-your-writes, the memory cap."""

from __future__ import annotations

import threading
import time

import pytest

from hpcapi.service.answers import SharedAnswers


class Clock:
    """A settable time.time()."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_an_answer_serves_repeated_polls_until_it_is_too_old() -> None:
    clock = Clock()
    answers: SharedAnswers[list[int]] = SharedAnswers(2.0, 100, clock)
    made = iter([[1], [1, 2], [1, 2, 3]])
    assert answers.get("alice", lambda _: next(made)) == [1]
    clock.now += 1.9
    assert answers.get("alice", lambda _: next(made)) == [1]
    clock.now += 0.2
    assert answers.get("alice", lambda _: next(made)) == [1, 2]
    assert answers.computed == 2


def test_a_write_after_the_answer_was_begun_means_a_new_answer() -> None:
    clock = Clock()
    answers: SharedAnswers[list[int]] = SharedAnswers(60.0, 100, clock)
    assert answers.get("alice", lambda _: [1]) == [1]
    clock.now += 1
    assert answers.get("alice", lambda _: [9], not_before=clock.now - 2) == [1]
    assert answers.get("alice", lambda _: [1, 2], not_before=clock.now) == [1, 2]


def test_keys_are_apart() -> None:
    answers: SharedAnswers[list[int]] = SharedAnswers(60.0, 100)
    assert answers.get(("alice", 24), lambda _: [1]) == [1]
    assert answers.get(("bob", 24), lambda _: [2]) == [2]
    assert answers.get(("alice", 48), lambda _: [3]) == [3]


def test_identical_requests_at_once_share_one_call() -> None:
    answers: SharedAnswers[list[int]] = SharedAnswers(0.0, 100)  # nothing kept afterwards
    release, started = threading.Event(), threading.Event()

    def slow(_: list[int] | None) -> list[int]:
        started.set()
        assert release.wait(5)
        return [7]

    results: list[list[int]] = []
    first = threading.Thread(target=lambda: results.append(answers.get("alice", slow)))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=lambda: results.append(answers.get("alice", lambda _: [0])))
              for _ in range(5)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert results == [[7]] * 6
    assert answers.computed == 1
    assert answers.get("alice", lambda _: [8]) == [8]  # max_age 0: the next one is new


def test_a_failure_reaches_every_waiter_and_is_not_kept() -> None:
    answers: SharedAnswers[list[int]] = SharedAnswers(60.0, 100)
    release, started = threading.Event(), threading.Event()

    def failing(_: list[int] | None) -> list[int]:
        started.set()
        assert release.wait(5)
        raise RuntimeError("slurmdbd down")

    errors: list[str] = []

    def ask(compute: object) -> None:
        try:
            answers.get("alice", compute)  # type: ignore[arg-type]
        except RuntimeError as exc:
            errors.append(str(exc))

    first = threading.Thread(target=ask, args=(failing,))
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=ask, args=(lambda _: [0],))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert errors == ["slurmdbd down", "slurmdbd down"]
    assert answers.get("alice", lambda _: [5]) == [5]


def test_kept_answers_hold_at_most_max_items_least_recently_used_first() -> None:
    answers: SharedAnswers[list[int]] = SharedAnswers(60.0, 10)
    answers.get("a", lambda _: [0] * 4)
    answers.get("b", lambda _: [0] * 4)
    answers.get("a", lambda _: pytest.fail("a is kept"))  # a is now the more recent
    answers.get("c", lambda _: [0] * 4)  # 12 > 10: b goes
    assert answers.items == 8
    assert answers.get("a", lambda _: [1]) == [0] * 4
    assert answers.get("b", lambda _: [2]) == [2]
    answers.get("huge", lambda _: [0] * 11)  # larger than the cap: served, never kept
    assert answers.items <= 10
    assert answers.get("huge", lambda _: [3]) == [3]


def test_compute_is_given_the_last_kept_answer_however_old() -> None:
    clock = Clock()
    answers: SharedAnswers[list[int]] = SharedAnswers(2.0, 100, clock)
    bases: list[list[int] | None] = []

    def grow(base: list[int] | None) -> list[int]:
        bases.append(base)
        return [*(base or []), len(bases)]

    assert answers.get("alice", grow) == [1]
    clock.now += 3600
    assert answers.get("alice", grow) == [1, 2]
    assert bases == [None, [1]]


def test_max_age_zero_serves_nothing_as_it_is_but_keeps_the_base() -> None:
    answers: SharedAnswers[list[int]] = SharedAnswers(0.0, 100)
    answers.get("alice", lambda _: [1])
    assert answers.get("alice", lambda base: [*(base or []), 2]) == [1, 2]


def test_an_answer_begun_earlier_and_ended_later_does_not_replace_a_fresher_one() -> None:
    answers: SharedAnswers[list[int]] = SharedAnswers(60.0, 100)
    release, started = threading.Event(), threading.Event()

    def slow(_: list[int] | None) -> list[int]:
        started.set()
        assert release.wait(5)
        return [1]  # begun before the write below: stale when it ends

    first = threading.Thread(target=lambda: answers.get("alice", slow))
    first.start()
    assert started.wait(5)
    fresher = answers.get("alice", lambda _: [2], not_before=time.time())
    release.set()
    first.join(5)
    assert fresher == [2]
    assert answers.get("alice", lambda _: pytest.fail("[2] is kept")) == [2]
