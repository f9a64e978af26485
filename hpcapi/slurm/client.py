"""The slurmrestd client: one connection pool per worker, a fresh per-user token per call.

Every call acts as the authenticated local user (``X-SLURM-USER-NAME`` plus a JWT minted for that
user), so slurmrestd and slurmctld make their own access decisions for the real user.
"""

from __future__ import annotations

import codecs
import errno
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from hpcapi import telemetry
from hpcapi.model import Identity
from hpcapi.slurm.errors import (
    SlurmrestAuthError,
    SlurmrestError,
    SlurmrestProtocolError,
    SlurmrestRejectedError,
    SlurmrestTimeoutError,
    SlurmrestUnavailableError,
)
from hpcapi.slurm.listing import decode_listing
from hpcapi.slurm.token import TokenMinter
from hpcapi.slurm.transport import (
    Answer,
    ConnectFailed,
    ConnectTimedOut,
    ExchangeBroken,
    HttpTransport,
    ReadTimedOut,
    Timeouts,
    Transport,
)

Record = TypeVar("Record")

# How much of a list answer is read from the socket at a time.
_LISTING_PIECE = 64 * 1024

# Slurm passes a failed socket call's errno on as its error number (seen: 104 "Connection reset
# by peer" when slurmctld is killed while it reads a submission). Each means the request may not
# have arrived, never that Slurm refused it.
_SOCKET_ERRNOS = frozenset({
    errno.EPIPE, errno.ENETUNREACH, errno.ECONNABORTED, errno.ECONNRESET, errno.ENOTCONN,
    errno.ETIMEDOUT, errno.ECONNREFUSED, errno.EHOSTUNREACH,
})


def _is_communication_error(number: object) -> bool:
    # slurm_errno.h: 1000-1999 are protocol and communication errors (1001-1004 connection,
    # send, receive, shutdown; 1800-1804 "unable to contact slurm controller"), 5000-5999
    # socket errors (5005 "Zero Bytes were transmitted or received"). slurmrestd reports them,
    # and the socket errnos above, when slurmctld or slurmdbd is down: an outage, never Slurm's
    # verdict on the request. 1007 (authentication) is excluded: hpcapi's token was refused.
    if not isinstance(number, int) or number == 1007:
        return False
    return 1000 <= number < 2000 or 5000 <= number < 6000 or number in _SOCKET_ERRNOS


@dataclass(frozen=True)
class SlurmResponse:
    """A decoded slurmrestd answer and how long it took."""

    status: int
    body: dict[str, Any]
    elapsed_ms: float


@dataclass
class SlurmUsage:
    """What one request of hpcapi's asked of slurmrestd: calls made, answer bytes read."""

    calls: int = 0
    bytes: int = 0


# The usage of the request being served in this context (a worker thread serves one at a time;
# a request that waits for another's shared answer asks nothing itself).
_USAGE: ContextVar[SlurmUsage | None] = ContextVar("hpcapi_slurm_usage", default=None)


def count_slurm_usage() -> SlurmUsage:
    """Start counting, for the request now served, what it asks of slurmrestd."""
    usage = SlurmUsage()
    _USAGE.set(usage)
    return usage


def _count(calls: int = 0, size: int = 0) -> None:
    usage = _USAGE.get()
    if usage is not None:
        usage.calls += calls
        usage.bytes += size


def operation_name(method: str, path: str) -> str:
    """A call's name for the metrics, one per endpoint: ``GET /slurm/job/{id}``."""
    template = re.sub(r"/v0\.0\.\d+(?=/|$)", "", path.split("?", 1)[0])
    return f"{method} {re.sub(r'/[0-9][0-9_]*(?=/|$)', '/{id}', template).rstrip('/')}"


@contextmanager
def _reported(method: str, path: str, started: float) -> Iterator[list[int]]:
    """Report the call made inside to telemetry: ``ok``, ``http_<status>`` (slurmrestd
    answered, not 2xx), ``unavailable`` or ``timeout``; the block appends the HTTP status."""
    status: list[int] = []
    outcome = "error"
    try:
        yield status
        code = status[0] if status else 0
        outcome = "ok" if 200 <= code < 300 else f"http_{code}"
    except SlurmrestTimeoutError:
        outcome = "timeout"
        raise
    except SlurmrestUnavailableError:
        outcome = "unavailable"
        raise
    finally:
        telemetry.slurm_call(operation_name(method, path), outcome,
                             time.perf_counter() - started)


class SlurmrestClient:
    """Calls slurmrestd on behalf of users, classifying every failure into a SlurmrestError."""

    def __init__(
        self,
        base_url: str,
        minter: TokenMinter,
        timeout: float,
        pool_size: int = 16,
        transport: Transport | None = None,
        list_timeout: float | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._minter = minter
        self._timeout = timeout
        # A list's first byte can come late: slurmrestd builds a whole list before sending any
        # of it (here about 3 s for 10,000 accounting jobs on an idle 25.11, 10 s under load).
        self._list_timeout = timeout if list_timeout is None else list_timeout
        self._transport = transport or HttpTransport(self._base_url, pool_size)

    def call(
        self,
        method: str,
        path: str,
        user: Identity,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> SlurmResponse:
        """Send one request as ``user`` and return the decoded JSON answer."""
        started = time.perf_counter()
        with _reported(method, path, started) as status:
            answer = self._send(method, path, user, params, body)
            status.append(answer.status)
            try:
                with self._transport_failures(method, path, self._timeout, reading=True):
                    content = answer.read()
            finally:
                answer.close()
            _count(size=len(content))
            decoded = _decode(answer, content)
        elapsed_ms = (time.perf_counter() - started) * 1000
        return SlurmResponse(answer.status, decoded, elapsed_ms)

    def call_listing(
        self,
        path: str,
        user: Identity,
        list_key: str,
        read: Callable[[dict[str, Any]], Record],
        *,
        params: dict[str, str] | None = None,
    ) -> tuple[SlurmResponse, list[Record]]:
        """GET a list as ``user``: each object of ``list_key`` is passed to ``read`` as it arrives.

        The answer's body comes back without ``list_key``; see ``hpcapi.slurm.listing``."""
        started = time.perf_counter()
        with _reported("GET", path, started) as status:
            answer = self._send("GET", path, user, params, listing=True)
            status.append(answer.status)
            try:
                with self._transport_failures("GET", path, self._list_timeout, reading=True):
                    if not 200 <= answer.status < 300:
                        content = answer.read()
                        _count(size=len(content))
                        body, records = _decode(answer, content), list[Record]()
                    else:
                        _require_json(answer)
                        body, records = _decode_listing(answer, list_key, read)
            finally:
                # Back to the pool when read to the end; closed if the answer was left half-read.
                answer.close()
        elapsed_ms = (time.perf_counter() - started) * 1000
        return SlurmResponse(answer.status, body, elapsed_ms), records

    def _send(self, method: str, path: str, user: Identity, params: dict[str, str] | None,
              body: dict[str, Any] | None = None, listing: bool = False) -> Answer:
        """Send one request as ``user``; the answer's body is left to be read."""
        headers = {
            "X-SLURM-USER-NAME": user.local_user,
            "X-SLURM-USER-TOKEN": self._minter.token_for(user.local_user, user.uid),
            "Accept": "application/json",
        }
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        target = f"{path}?{urlencode(params)}" if params else path
        _count(calls=1)
        read_timeout = self._list_timeout if listing else self._timeout
        with self._transport_failures(method, path, read_timeout):
            return self._transport.send(method, target, headers, payload,
                                        Timeouts(connect=self._timeout, read=read_timeout))

    @contextmanager
    def _transport_failures(self, method: str, path: str, timeout: float,
                            reading: bool = False) -> Iterator[None]:
        """Turn the transport's exceptions into the SlurmrestError they mean (``timeout``: the
        read time-out in force, for the message; ``reading``: the answer had begun)."""
        try:
            yield
        except ConnectTimedOut as err:
            raise SlurmrestUnavailableError(
                f"slurmrestd at {self._base_url} did not accept a connection in time"
            ) from err
        except ConnectFailed as err:
            raise SlurmrestUnavailableError(
                f"cannot reach slurmrestd at {self._base_url}: {err}"
            ) from err
        except ReadTimedOut as err:
            answering = "finish answering" if reading else "answer"
            raise SlurmrestTimeoutError(
                f"slurmrestd did not {answering} {method} {path} within {timeout:g} s"
            ) from err
        except ExchangeBroken as err:
            # e.g. slurmrestd died half-way through its answer, or closed the connection
            raise SlurmrestUnavailableError(
                f"slurmrestd failed while answering {method} {path}: {err}"
            ) from err

    def close(self) -> None:
        """Close the pooled connections."""
        self._transport.close()


def _decode_listing(
    answer: Answer, list_key: str, read: Callable[[dict[str, Any]], Record]
) -> tuple[dict[str, Any], list[Record]]:
    """A 2xx list answer, read as it arrives: the body without ``list_key``, and its objects
    as ``read`` made them."""
    utf8 = codecs.getincrementaldecoder("utf-8")()

    def text() -> Iterator[str]:
        for piece in answer.pieces(_LISTING_PIECE):
            _count(size=len(piece))
            yield utf8.decode(piece)
        yield utf8.decode(b"", final=True)

    try:
        return decode_listing(text(), list_key, read)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SlurmrestProtocolError("slurmrestd answered malformed JSON") from err


def _require_json(answer: Answer) -> None:
    """Refuse an answer that is not JSON as a protocol error."""
    content_type = answer.header("Content-Type")
    if "json" not in content_type:
        raise SlurmrestProtocolError(f"slurmrestd answered {content_type or 'no content type'}")


def _json_object(content: bytes) -> Any:
    """The decoded body; malformed JSON is a protocol error."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as err:
        raise SlurmrestProtocolError("slurmrestd answered malformed JSON") from err


def _decode(answer: Answer, content: bytes) -> dict[str, Any]:
    """Classify a slurmrestd answer: status first, then content type, then the body."""
    status = answer.status
    if status in (502, 503):
        _raise_unavailable(answer, content, status)
    if status == 504:
        raise SlurmrestTimeoutError("slurmrestd answered HTTP 504")
    # Slurm 23.11+ answers a refused token on /slurm/ with 511 and error 1007 "Protocol
    # authentication error" (seen on 25.11.7); 401 is the answer to no token at all.
    if status in (401, 403, 511):
        raise SlurmrestAuthError(_KEY_MISMATCH)
    if status >= 400 and "json" not in answer.header("Content-Type"):
        # 22.05 answers unparseable bodies with text/plain "Unable to parse query."
        text = content.decode("utf-8", "replace").strip()[:200]
        raise SlurmrestRejectedError(f"slurmrestd answered HTTP {status}: {text}")
    _require_json(answer)
    body = _json_object(content)
    if not isinstance(body, dict):
        raise SlurmrestProtocolError("slurmrestd answered JSON that is not an object")
    if status >= 400:
        errors = slurm_errors(body)
        numbers = [e.get("error_number", e.get("error_code")) for e in errors]
        if any(_is_communication_error(number) for number in numbers):
            raise SlurmrestUnavailableError(
                "slurmrestd cannot reach Slurm: " + describe_slurm_errors(body, status), errors
            )
        raise SlurmrestRejectedError(describe_slurm_errors(body, status), errors)
    return body


_KEY_MISMATCH = "slurmrestd refused hpcapi's token (is hpcapi's JWT key the one in slurm.conf?)"


def _raise_unavailable(answer: Answer, content: bytes, status: int) -> None:
    """A 502/503: an outage (a proxy's, or slurmrestd's own when it cannot reach Slurm)."""
    try:
        body = json.loads(content) if "json" in answer.header("Content-Type") else None
    except (ValueError, UnicodeDecodeError):
        body = None
    errors = slurm_errors(body) if isinstance(body, dict) else []
    if not errors:
        raise SlurmrestUnavailableError(f"slurmrestd answered HTTP {status}")
    message = describe_slurm_errors(body, status)  # type: ignore[arg-type]
    # Slurm 23.11+ answers a refused token on /slurmdb/ with 502 and error 7000, "Failed to
    # open slurmdbd connection, authentication error" (seen on 25.11.7): not an outage but a
    # configuration mistake, which a retry does not mend. slurmdbd down is 7000 too, without
    # the word.
    if "authentication" in message.lower():
        raise SlurmrestAuthError(f"{_KEY_MISMATCH}: {message}", errors)
    raise SlurmrestUnavailableError(message, errors)


def slurm_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``errors`` list of a slurmrestd answer, whatever its shape."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [item for item in errors if isinstance(item, dict)]


def describe_slurm_errors(body: dict[str, Any], status: int | None = None) -> str:
    """Slurm's own messages from an answer, joined for people."""
    parts = []
    for item in slurm_errors(body):
        text = item.get("description") or item.get("error") or ""
        detail = item.get("error") if item.get("description") else None
        code = item.get("error_code", item.get("error_number"))
        piece = str(text)
        if detail and detail != text:
            piece += f" ({detail})"
        if code not in (None, 0):
            piece += f" [slurm error {code}]"
        if piece:
            parts.append(piece)
    if not parts:
        return f"slurmrestd answered HTTP {status}" if status else "slurmrestd reported an error"
    return "; ".join(parts)


__all__ = [
    "SlurmResponse",
    "SlurmrestClient",
    "SlurmrestError",
    "describe_slurm_errors",
    "slurm_errors",
]
