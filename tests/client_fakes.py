"""A fake hpcapi at the HTTP transport, for tests of code that uses ``HpcapiClient``.

``FakeTransport`` is a transport (hpcapi.client.transport.Transport): give it with
``HpcapiClient(..., transport=fake)`` and it answers canned responses, records every request
(with the fixed Negotiate header a real negotiation would add), and counts how many requests
were in flight at once. Nothing opens a socket and no Kerberos is involved.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hpcapi.client.transport import Reply

# What the transport adds to every request in place of a real SPNEGO token.
NEGOTIATE = "Negotiate ZmFrZQ=="

# (status, body) or (status, body, extra headers), or an exception the transport raises
Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]] | BaseException
Handler = Callable[["Recorded"], Answer]


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The request body, decoded."""
        return json.loads(self.body)


class FakeTransport:
    """Answers requests from routes ``(METHOD, path-after-base)`` and records them."""

    def __init__(self, base_path: str = "/hpcapi", delay: float = 0.0) -> None:
        self.base_path = base_path.rstrip("/")
        self.delay = delay
        self.requests: list[Recorded] = []
        self.routes: dict[tuple[str, str], deque[Answer] | Handler] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def add(self, method: str, path: str, *answers: Answer) -> None:
        """Answer ``answers`` in order (the last one repeats); an exception is raised."""
        self.routes[(method.upper(), path)] = deque(answers)

    def handle(self, method: str, path: str, handler: Handler) -> None:
        """Answer with ``handler(request)`` every time."""
        self.routes[(method.upper(), path)] = handler

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        """The recorded requests, optionally only one route's."""
        return [
            r for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]

    def send(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
             timeout: float) -> Reply:
        """Record the request and produce the next answer for its route."""
        parts = urlsplit(url)
        path = parts.path.removeprefix(self.base_path).lstrip("/")
        recorded = Recorded(
            method=method,
            path=path,
            query=parse_qs(parts.query),
            headers={**headers, "Authorization": NEGOTIATE},
            body=body or b"",
        )
        with self._lock:
            self.requests.append(recorded)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            route = self.routes.get((recorded.method, path))
            queued: Answer | None = None
            if isinstance(route, deque):
                queued = route.popleft() if len(route) > 1 else route[0]
        try:
            if route is None:
                answer: Answer = (404, {"status": "call_failure", "reason": "not_found",
                                        "message": "no such endpoint"})
            elif queued is not None:
                answer = queued
            else:
                assert callable(route)  # noqa: S101 - a handler route
                answer = route(recorded)
            if self.delay:
                time.sleep(self.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        if isinstance(answer, BaseException):
            raise answer
        status, payload, *extra = answer
        reply_headers = {"Content-Type": "application/json", **(extra[0] if extra else {})}
        return Reply(status, {name.lower(): value for name, value in reply_headers.items()},
                     payload if isinstance(payload, bytes) else json.dumps(payload).encode(),
                     url)

    def close(self) -> None:
        """Nothing to release."""


def output_part(text: str, offset: int, size: int, finished: bool,
                job_id: str = "9") -> tuple[int, dict[str, object]]:
    """A job/<id>/output answer holding ``text`` read at ``offset`` of a file of ``size``."""
    data = text.encode()
    return (200, {"status": "call_success", "reason": "output_read", "output": {
        "job_id": job_id, "stream": "stdout", "path": f"/o/slurm-{job_id}.out", "size": size,
        "offset": offset, "bytes": len(data), "text": text, "invalid_utf8": False,
        "eof": offset + len(data) >= size, "job_finished": finished}})
