"""Fairness between users: each user may have only so many requests in progress in a worker.

Without a bound, one user's burst of expensive requests (histories of thousands of jobs) takes
every worker thread, and everyone else's requests queue behind it (measured on the 22.05 dev
stack: 24 concurrent histories of one user took another user's 16 ms submission to 18 s). A
request over its user's share is answered at once with ``too_many_requests`` (429) and a
``Retry-After``, before anything of it is done, so that any client may simply send it again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from hpcapi.errors import ErrorCode, HpcapiError

# Seconds a refused client is asked to wait; the requests ahead of it take about that long.
RETRY_AFTER_SECONDS = 1


class InFlightLimiter:
    """Counts each user's requests in progress; refuses one over ``per_user``."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, user: str) -> None:
        """Take one of ``user``'s slots, or raise too_many_requests."""
        with self._lock:
            count = self._in_flight.get(user, 0)
            if count >= self.per_user:
                raise HpcapiError(
                    ErrorCode.TOO_MANY_REQUESTS,
                    f"{count} of your requests are already in progress here; retry in"
                    f" {RETRY_AFTER_SECONDS} s",
                )
            self._in_flight[user] = count + 1

    def release(self, user: str) -> None:
        """Give back one of ``user``'s slots."""
        with self._lock:
            count = self._in_flight.get(user, 0) - 1
            if count > 0:
                self._in_flight[user] = count
            else:
                # Forget idle users: the table holds only users with requests in progress.
                self._in_flight.pop(user, None)

    def in_flight(self, user: str) -> int:
        """How many of ``user``'s requests are in progress."""
        with self._lock:
            return self._in_flight.get(user, 0)

    @contextmanager
    def slot(self, user: str) -> Iterator[None]:
        """Hold one of ``user``'s slots for the duration of a block."""
        self.acquire(user)
        try:
            yield
        finally:
            self.release(user)
