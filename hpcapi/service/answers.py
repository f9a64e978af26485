"""Answers shared between a user's requests: concurrent identical requests wait for one backend
call, an answer serves repeated polls for a few seconds, and an older answer is the base the
next one is made from (only what may have changed since is asked again).

An answer is reused only if it was begun after the user's last write through this host (the
journal says when), so a job submitted or cancelled here is in the user's next answer whichever
worker serves it. Memory is bounded by the number of jobs all kept answers hold together; the
least recently used go first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sized
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from hpcapi import telemetry

A = TypeVar("A", bound=Sized)


@dataclass
class _Flight(Generic[A]):
    """One backend call in progress, which identical requests wait for."""

    started: float
    done: threading.Event = field(default_factory=threading.Event)
    answer: A | None = None
    error: BaseException | None = None


@dataclass(frozen=True)
class _Kept(Generic[A]):
    started: float
    answer: A


class SharedAnswers(Generic[A]):
    """Per-key answers: shared while being made, served as they are for ``max_age`` seconds,
    kept (within ``max_items``) as the base of the next."""

    def __init__(self, max_age: float, max_items: int,
                 clock: Callable[[], float] = time.time, name: str = "answers") -> None:
        self.name = name  # for the cache metrics
        self.max_age = max_age
        self.max_items = max_items  # the sum of len(answer) over the kept answers
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, _Kept[A]] = OrderedDict()
        self._items = 0
        self._flights: dict[Hashable, _Flight[A]] = {}
        self.computed = 0  # backend calls made, for tests and benchmarks

    def get(self, key: Hashable, compute: Callable[[A | None], A],
            not_before: float = 0.0) -> A:
        """The answer for ``key``: kept, being made, or made now by ``compute``.

        Only an answer begun after ``not_before`` (the user's last write) serves as it is;
        ``compute`` is given the last kept answer, however old, or None."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(key)
            base = kept.answer if kept is not None else None
            fresh = kept is not None and self.max_age > 0 and now - kept.started <= self.max_age
            if kept is not None and fresh and kept.started > not_before:
                self._kept.move_to_end(key)
                telemetry.cache_lookup(self.name, "hit")
                return kept.answer
            flight = self._flights.get(key)
            joining = flight is not None and flight.started > not_before
            if not joining:
                flight = _Flight(started=now)
                self._flights[key] = flight
        assert flight is not None  # noqa: S101 - for mypy: set in both branches
        telemetry.cache_lookup(self.name, "shared" if joining else "miss")
        if joining:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            assert flight.answer is not None  # noqa: S101
            return flight.answer
        try:
            self.computed += 1
            answer = compute(base)
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.answer = answer
            self._keep(key, _Kept(flight.started, answer))
            return answer
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
            flight.done.set()

    def _keep(self, key: Hashable, kept: _Kept[A]) -> None:
        if len(kept.answer) > self.max_items:
            return
        with self._lock:
            old = self._kept.get(key)
            if old is not None and old.started > kept.started:
                return  # a later answer was kept meanwhile: keep the fresher
            self._kept.pop(key, None)
            if old is not None:
                self._items -= len(old.answer)
            self._kept[key] = kept
            self._items += len(kept.answer)
            while self._items > self.max_items:
                _, evicted = self._kept.popitem(last=False)
                self._items -= len(evicted.answer)

    @property
    def items(self) -> int:
        """How many items the kept answers hold together."""
        with self._lock:
            return self._items
