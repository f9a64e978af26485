"""A fake hpcapi at the HTTP transport, for tests of code that uses ``HpcapiClient``.

``FakeTransport`` is a requests adapter: mount it with ``HpcapiClient(..., adapter=fake,
auth_factory=StaticAuth)`` and it answers canned responses, records every request, and counts
how many requests were in flight at once. Nothing opens a socket and no Kerberos is involved.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict

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
    verify: bool | str = True

    def json(self) -> Any:
        """The request body, decoded."""
        return json.loads(self.body)


class StaticAuth(AuthBase):
    """Stands in for requests-gssapi: adds a fixed Negotiate header."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = "Negotiate ZmFrZQ=="
        return request


class FakeTransport(BaseAdapter):
    """Answers requests from routes ``(METHOD, path-after-base)`` and records them."""

    def __init__(self, base_path: str = "/hpcapi", delay: float = 0.0) -> None:
        super().__init__()
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

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Record the request and produce the next answer for its route."""
        parts = urlsplit(request.url or "")
        path = parts.path.removeprefix(self.base_path).lstrip("/")
        body = request.body or b""
        recorded = Recorded(
            method=str(request.method),
            path=path,
            query=parse_qs(parts.query),
            headers=dict(request.headers),
            body=body.encode() if isinstance(body, str) else body,
            verify=verify,
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
        response = requests.Response()
        response.status_code = status
        response.url = request.url or ""
        response.request = request
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json",
                                                **(extra[0] if extra else {})})
        response._content = (
            payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        )
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""
