"""submit-many: submit a pipeline's scripts with at most N in flight, resumable after a crash.

A producer walks the scripts and hands each to a thread pool; a semaphore keeps at most N
submissions in flight, so a list of 100 000 scripts on stdin is never read ahead into memory.
Every script gets an idempotency key derived from the run id, its absolute path and a hash of
its content: running the same run id again (after a crash, or to be sure) replays the jobs
already created instead of making duplicates, and submits only what is missing.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hpcapi.client.directives import read_script
from hpcapi.client.errors import (
    ApiError,
    AuthenticationError,
    HpcapiClientError,
    TlsError,
    UnreachableError,
)

RUN_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class ScriptResult:
    """What happened to one script."""

    script: str
    key: str
    jobid: str | None = None
    replayed: bool = False
    error: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the script has a job."""
        return self.jobid is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)


def idempotency_key(run_id: str, path: str, content: str) -> str:
    """The key for one script of one run: stable across reruns of the same run id."""
    digest = hashlib.sha256(f"{path}\0{content}".encode()).hexdigest()[:40]
    return f"{run_id}:{digest}"


def scripts_in_directory(directory: Path, pattern: str = "*") -> list[Path]:
    """The regular, non-hidden files in ``directory`` matching ``pattern``, sorted by name."""
    return sorted(
        path
        for path in directory.glob(pattern)
        if path.is_file() and not path.name.startswith(".")
    )


def scripts_from_lines(lines: Iterable[str]) -> Iterator[Path]:
    """Script paths from a list, one per line; blank lines and ``#`` comments skipped."""
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            yield Path(text)


Submitter = Callable[..., tuple[str, bool]]
"""Submits one script's text with a key (with ``with_path``: its path, text and key); returns
(job id, replayed)."""


def submit_many(
    paths: Iterable[Path],
    submit: Submitter,
    run_id: str,
    max_in_flight: int = 4,
    on_result: Callable[[ScriptResult], None] | None = None,
    with_path: bool = False,
) -> list[ScriptResult]:
    """Submit every script with at most ``max_in_flight`` at once; one result per script."""
    if max_in_flight < 1:
        raise ValueError("max_in_flight must be at least 1")
    if not RUN_ID_RE.fullmatch(run_id):
        raise ValueError("a run id is 1..64 characters of letters, digits and ._-")
    slots = threading.BoundedSemaphore(max_in_flight)
    # Authentication and reachability fail the same way for every script: stop feeding.
    stop = threading.Event()
    fatal: list[HpcapiClientError] = []

    def work(path: Path) -> ScriptResult:
        name = str(path)
        absolute = str(path.resolve())
        try:
            content = read_script(name)
        except (OSError, UnicodeDecodeError) as exc:
            return ScriptResult(name, "", error="unreadable", message=str(exc))
        key = idempotency_key(run_id, absolute, content)
        if stop.is_set():
            return ScriptResult(name, key, error="not_submitted", message="run stopped")
        try:
            # The path as given: sbatch names a job after its script's file name.
            jobid, replayed = submit(path, content, key) if with_path else submit(content, key)
        except (AuthenticationError, UnreachableError, TlsError) as exc:
            stop.set()
            fatal.append(exc)
            reason = getattr(exc, "reason", None) or type(exc).__name__
            return ScriptResult(name, key, error=reason, message=str(exc))
        except ApiError as exc:
            return ScriptResult(name, key, error=exc.reason, message=exc.message)
        except HpcapiClientError as exc:
            return ScriptResult(name, key, error="client_error", message=str(exc))
        return ScriptResult(name, key, jobid=jobid, replayed=replayed)

    def release(future: Future[ScriptResult]) -> None:
        slots.release()
        if on_result is not None and not future.cancelled() and future.exception() is None:
            on_result(future.result())

    futures: list[Future[ScriptResult]] = []
    skipped: list[ScriptResult] = []
    with ThreadPoolExecutor(max_workers=max_in_flight, thread_name_prefix="hpcapi") as pool:
        for path in paths:
            if stop.is_set():
                skipped.append(
                    ScriptResult(str(path), "", error="not_submitted", message="run stopped")
                )
                continue
            slots.acquire()  # the producer waits here while N submissions are in flight
            future = pool.submit(work, path)
            future.add_done_callback(release)
            futures.append(future)
    results = [future.result() for future in futures] + skipped
    if fatal:
        raise RunStoppedError(fatal[0], results)
    return results


class RunStoppedError(HpcapiClientError):
    """A failure every further script would hit too stopped the run; ``results`` so far."""

    def __init__(self, cause: HpcapiClientError, results: list[ScriptResult]) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.results = results
