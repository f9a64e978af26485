"""The hpcapi Python client, over hpcapi.client.transport (HTTPS, a SPNEGO token per request).

Safe to share between threads (``submit-many`` calls from a thread pool): the transport keeps a
connection per thread. Authentication is opportunistic: the Negotiate token goes with the
request itself, so a POST is sent once instead of being refused with a 401 and sent again.
GETs (and the idempotent DELETE)
are retried on 502/503/504 and on connection errors with bounded exponential backoff; a submit
is retried only when it carries an ``Idempotency-Key`` (or is a dry run), because the server
may have created the job before the answer was lost.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from hpcapi.client.errors import (
    ApiError,
    AuthenticationError,
    TlsError,
    UnreachableError,
)
from hpcapi.client.transport import HttpsTransport, Reply, TlsFailure, Transport, TransportFailure
from hpcapi.protocol import (
    FINISHED_STATES,
    IDEMPOTENCY_KEY_RE,
    MAX_BODY_BYTES,
    strip_sbatch_lines,
)

JOB_ID_RE = re.compile(r"[0-9]+(_[0-9]+)?")
RETRY_STATUSES = frozenset({502, 503, 504})
# hpcapi's too_many_requests: refused before anything of the request was done, so any request,
# an unkeyed submission too, is sent again after the Retry-After it names.
REFUSED_UNDONE_STATUS = 429
# How often following a job's output asks again once it has read to the end of the file.
FOLLOW_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a retryable request is tried again."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A 429 is the server's "not now", not a failure: it has its own, larger budget, so that
    # a pipeline running more requests at once than the server's per-user share waits its turn.
    throttled_attempts: int = 60

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        # Jitter spreads out many pipeline clients retrying after the same outage.
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - not for security


def job_records(history: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-job entries of a query_status answer (every key whose value is an object)."""
    return {key: value for key, value in history.items() if isinstance(value, dict)}


def is_finished(job: Mapping[str, Any]) -> bool:
    """Whether a job record is in one of Slurm's final states."""
    return str(job.get("state") or "").split(" ")[0].upper() in FINISHED_STATES


def encode_submit_body(fields: Mapping[str, Any]) -> bytes:
    """The JSON body for submit_job, shrunk to fit the server's limit when it can be."""
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    script = fields.get("script-body")
    if len(body) > MAX_BODY_BYTES and isinstance(script, str):
        # The server strips #SBATCH lines anyway and the client already turned them into
        # fields, so removing them here changes nothing but the size. Deterministic, so a
        # retry with the same idempotency key still sends the same body.
        smaller = dict(fields, **{"script-body": strip_sbatch_lines(script)[0]})
        body = json.dumps(smaller, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return body


class HpcapiClient:
    """Calls one hpcapi server as the holder of a Kerberos ticket or keytab."""

    def __init__(
        self,
        url: str,
        creds: Any = None,
        ca: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.ca = ca
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        if transport is None:
            from hpcapi.client.auth import negotiator

            transport = HttpsTransport(negotiator(creds), ca=ca)
        self._transport = transport
        self._sleep = sleep

    # --- plumbing ---

    def close(self) -> None:
        """Close every connection this client opened."""
        self._transport.close()

    def __enter__(self) -> HpcapiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, retry: bool, params: Mapping[str, str] | None = None,
              body: bytes | None = None, headers: Mapping[str, str] | None = None) -> Reply:
        url = f"{self.url}/{path}" + (f"?{urlencode(params)}" if params else "")
        sent = {"Accept": "application/json", **(headers or {})}
        attempts = self.retry.attempts
        attempt = throttled = 0
        while True:
            attempt += 1
            try:
                response = self._transport.send(method, url, sent, body, self.timeout)
            except TlsFailure as exc:
                raise TlsError(
                    f"cannot verify the TLS certificate of {self.url}: set ca in the client "
                    f"configuration or pass --ca ({exc})"
                ) from exc
            except TransportFailure as exc:
                if not retry or attempt == attempts:
                    raise UnreachableError(
                        f"cannot reach {self.url}: {exc}"
                        + (f" (after {attempt} attempts)" if attempt > 1 else "")
                    ) from exc
                self._sleep(self.retry.delay(attempt))
                continue
            status = response.status
            if status == REFUSED_UNDONE_STATUS and throttled < self.retry.throttled_attempts:
                throttled += 1
                attempt -= 1
                # The named wait, plus a little jitter so that the refused do not all return
                # in the same instant.
                wait = self.retry.delay(1, response.headers.get("retry-after"))
                self._sleep(wait + random.uniform(0, 0.25))  # noqa: S311 - not for security
                continue
            if retry and status in RETRY_STATUSES and attempt < attempts:
                self._sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                continue
            return response

    def _call(self, method: str, path: str, retry: bool, **kwargs: Any) -> dict[str, Any]:
        return _decode(self._send(method, path, retry, **kwargs))

    # --- the API ---

    def whoami(self) -> dict[str, Any]:
        """Who the server thinks the caller is."""
        return self._call("GET", "whoami", retry=True)

    def ping(self) -> dict[str, Any]:
        """Check that the server reaches Slurm with the caller's identity."""
        return self._call("GET", "ping", retry=True)

    def partitions(self) -> list[dict[str, Any]]:
        """The partitions the API accepts jobs for."""
        body = self._call("GET", "partitions", retry=True)
        return list(body.get("partitions") or [])

    def default_partition(self) -> str | None:
        """The name of the partition Slurm uses when a job names none, if the API allows it."""
        for partition in self.partitions():
            if partition.get("default"):
                return str(partition["name"])
        return None

    def history(self, hours: int | None = None) -> dict[str, Any]:
        """The caller's recent jobs: the raw query_status answer (see ``job_records``)."""
        params = {"hours": str(hours)} if hours is not None else None
        return self._call("GET", "query_status", retry=True, params=params)

    def job(self, job_id: str) -> dict[str, Any]:
        """One job's record; ``ApiError`` with reason ``job_not_found`` if it is not yours."""
        body = self._call("GET", f"job/{_job_path(job_id)}", retry=True)
        return dict(body.get("job") or {})

    def output(self, job_id: str, stream: str = "stdout", offset: int = 0,
               max_bytes: int | None = None) -> dict[str, Any]:
        """Part of one job's stdout or stderr (``offset`` < 0: from the end), as the server's
        ``output`` record: its text, the file's size, where it starts, whether it is the end."""
        params = {"stream": stream, "offset": str(offset)}
        if max_bytes is not None:
            params["max_bytes"] = str(max_bytes)
        body = self._call("GET", f"job/{_job_path(job_id)}/output", retry=True, params=params)
        return dict(body.get("output") or {})

    def follow_output(self, job_id: str, stream: str = "stdout", offset: int = 0, *,
                      follow: bool = True, poll_seconds: float = FOLLOW_POLL_SECONDS,
                      sleep: Callable[[float], None] = time.sleep) -> Iterator[str]:
        """The text of one job's stdout or stderr from ``offset`` (< 0: from the end) to its end,
        piece by piece; with ``follow``, until the job has finished and the file stops growing."""
        while True:
            part = self.output(job_id, stream, offset)
            text = str(part.get("text") or "")
            yield text
            offset = int(part.get("offset") or 0) + int(part.get("bytes") or 0)
            if not part.get("eof"):
                continue  # more of the file than one answer holds: read on at once
            if not follow or (part.get("job_finished") and not text):
                return
            sleep(poll_seconds)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel one job."""
        # DELETE is idempotent, so it is retried like a GET; a retry that lands after the
        # first attempt did cancel answers job_already_finished, which is then the truth.
        return self._call("DELETE", f"job/{_job_path(job_id)}", retry=True)

    def submit(
        self,
        fields: Mapping[str, Any],
        idempotency_key: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Submit a job from API ``fields``; the answer carries ``jobid`` (or ``job`` if dry)."""
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            if not IDEMPOTENCY_KEY_RE.fullmatch(idempotency_key):
                raise ValueError(
                    "an idempotency key is 1..128 characters of letters, digits and ._:-"
                )
            headers["Idempotency-Key"] = idempotency_key
        params = {"dry_run": "1"} if dry_run else None
        return self._call(
            "POST",
            "submit_job",
            # Without a key a lost answer leaves us not knowing whether the job exists, and a
            # resend could make a second one; a dry run creates nothing.
            retry=idempotency_key is not None or dry_run,
            body=encode_submit_body(fields),
            headers=headers,
            params=params,
        )


def _job_path(job_id: str) -> str:
    if not JOB_ID_RE.fullmatch(str(job_id)):
        raise ValueError(f"{job_id!r} is not a Slurm job id")
    return quote(str(job_id))


def _decode(response: Reply) -> dict[str, Any]:
    """Return a call_success body, or raise the matching error."""
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status
    if isinstance(body, dict) and body.get("status") == "call_success" and status < 400:
        return body
    if isinstance(body, dict) and body.get("status") == "call_failure":
        reason = str(body.get("reason") or "unknown_error")
        message = str(body.get("message") or reason)
        if status == 401 or reason in ("unauthenticated", "principal_not_allowed"):
            raise AuthenticationError(reason, message, status, body)
        raise ApiError(reason, message, status, body)
    if status == 401:
        raise AuthenticationError(
            "unauthenticated", "the server did not accept the Kerberos credential", status
        )
    if status in RETRY_STATUSES:
        # A proxy in the way answered, not hpcapi.
        raise UnreachableError(f"HTTP {status} from {response.url} without an hpcapi answer")
    raise ApiError(
        "bad_response", f"HTTP {status} answer is not an hpcapi JSON body", status
    )
