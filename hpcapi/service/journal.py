"""What this hpcapi host did for each user lately: its submissions (with their idempotency keys)
and cancellations, shared by the host's workers in one SQLite file.

Two things need it. Read-your-writes: slurmdbd learns of a job a moment after slurmctld does,
so a job submitted or cancelled here is looked up in slurmctld, by its id, until accounting has
caught up; nothing else of slurmctld's is read for a history. Keyed submissions: a retry that
comes back to this host (the usual case; after an hpcapi restart too) finds its first job here
without asking Slurm; only a retry whose first attempt died mid-submission (its outcome
unknown) needs Slurm's full view.

The file lives in ``[state] directory``; SQLite's locking lets the workers of one host share it.
Each host has its own: a retry that lands on another host is found through accounting instead.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "journal.sqlite"
_SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS writes (
    user TEXT NOT NULL,
    kind TEXT NOT NULL,          -- submitting | unknown | submitted | cancelled
    job_id INTEGER,              -- NULL while a submission's outcome is unknown
    key TEXT,                    -- the Idempotency-Key, for keyed submissions
    digest TEXT,                 -- the digest of the request that used the key
    pid INTEGER,                 -- the worker submitting it, while it does
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS writes_by_user ON writes (user, at);
CREATE UNIQUE INDEX IF NOT EXISTS writes_by_key ON writes (user, key) WHERE key IS NOT NULL;
"""


@dataclass(frozen=True)
class KeyedSubmission:
    """What this host knows of an earlier submission with an idempotency key."""

    job_id: int | None  # None while it is being submitted, or when its outcome is unknown
    digest: str
    at: float
    unknown: bool = False  # the submission failed in a way that may have made the job
    pid: int | None = None  # the worker of this host submitting it now

    @property
    def in_progress(self) -> bool:
        """A worker of this host is submitting it at this moment."""
        if self.job_id is not None or self.unknown or self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False  # the worker died mid-submission: the outcome is unknown
        except PermissionError:
            return True  # alive, another user's (never the case for hpcapi's own workers)
        return True


class Journal:
    """The host's recent writes, per user; every method is safe from any thread or worker."""

    def __init__(self, directory: str, keep_seconds: int,
                 now: Callable[[], float] = time.time) -> None:
        self.path = str(Path(directory) / FILE_NAME)
        self.keep_seconds = keep_seconds
        self._clock = now
        self._local = threading.local()
        self._writes = 0
        # Fail at start-up, with the path, when the directory is unusable.
        self._connection()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            if connection.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                # Made by another hpcapi release: what it holds is read another way.
                connection.execute("DROP TABLE IF EXISTS writes")
                connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            connection.executescript(_SCHEMA)
            os.chmod(self.path, 0o600)
            self._local.connection = connection
        return connection

    def _now(self) -> float:
        return self._clock()

    def claim_submission(self, user: str, key: str, digest: str) -> bool:
        """Claim ``key`` for a submission about to be sent; False if the key is taken already
        (a job, or another worker submitting it right now)."""
        connection = self._connection()
        connection.execute(
            "DELETE FROM writes WHERE user = ? AND key = ? AND kind = 'submitted' AND at < ?",
            (user, key, self._now() - self.keep_seconds),
        )
        try:
            connection.execute(
                "INSERT INTO writes (user, kind, job_id, key, digest, pid, at)"
                " VALUES (?, 'submitting', NULL, ?, ?, ?, ?)",
                (user, key, digest, os.getpid(), self._now()),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def reclaim_submission(self, user: str, key: str, digest: str) -> None:
        """Claim ``key`` again after an earlier attempt whose outcome was unknown made no job."""
        self._connection().execute(
            "UPDATE writes SET kind = 'submitting', job_id = NULL, digest = ?, pid = ?, at = ?"
            " WHERE user = ? AND key = ?",
            (digest, os.getpid(), self._now(), user, key),
        )

    def submitted(self, user: str, job_id: int, key: str | None = None,
                  digest: str | None = None) -> None:
        """Note a job Slurm accepted (with the key it was submitted with, if any)."""
        connection = self._connection()
        if key is None:
            connection.execute(
                "INSERT INTO writes (user, kind, job_id, at) VALUES (?, 'submitted', ?, ?)",
                (user, job_id, self._now()),
            )
        else:
            connection.execute(
                "INSERT OR REPLACE INTO writes (user, kind, job_id, key, digest, at)"
                " VALUES (?, 'submitted', ?, ?, ?, ?)",
                (user, job_id, key, digest, self._now()),
            )
        self._prune_now_and_then()

    def outcome_unknown(self, user: str, key: str) -> None:
        """Note that a claimed submission failed in a way that may have made the job."""
        self._connection().execute(
            "UPDATE writes SET kind = 'unknown' WHERE user = ? AND key = ? AND kind = 'submitting'",
            (user, key),
        )

    def release_submission(self, user: str, key: str) -> None:
        """Forget a claimed submission Slurm refused: no job was made."""
        self._connection().execute(
            "DELETE FROM writes WHERE user = ? AND key = ? AND kind = 'submitting'", (user, key)
        )

    def cancelled(self, user: str, job_id: int) -> None:
        """Note a job cancelled through this host."""
        self._connection().execute(
            "INSERT INTO writes (user, kind, job_id, at) VALUES (?, 'cancelled', ?, ?)",
            (user, job_id, self._now()),
        )
        self._prune_now_and_then()

    def keyed_submission(self, user: str, key: str) -> KeyedSubmission | None:
        """The earlier submission of ``user`` with ``key`` through this host, if any."""
        row = self._connection().execute(
            "SELECT kind, job_id, digest, at, pid FROM writes WHERE user = ? AND key = ?",
            (user, key),
        ).fetchone()
        if row is None:
            return None
        kind, job_id, digest, at, pid = row
        # A submitted job is remembered for the window; an unresolved claim until resolved.
        if kind == "submitted" and at < self._now() - self.keep_seconds:
            return None
        return KeyedSubmission(job_id=job_id, digest=digest, at=at, unknown=kind == "unknown",
                               pid=pid if kind == "submitting" else None)

    def recent(self, user: str, seconds: float) -> tuple[set[int], set[int]]:
        """The ids of ``user``'s jobs submitted, and cancelled, through this host lately."""
        rows = self._connection().execute(
            "SELECT kind, job_id FROM writes WHERE user = ? AND at >= ? AND job_id IS NOT NULL",
            (user, self._now() - seconds),
        ).fetchall()
        submitted = {job_id for kind, job_id in rows if kind == "submitted"}
        cancelled = {job_id for kind, job_id in rows if kind == "cancelled"}
        return submitted, cancelled

    def last_write(self, user: str) -> float:
        """When this host last submitted or cancelled a job for ``user`` (0 if never)."""
        row = self._connection().execute(
            "SELECT MAX(at) FROM writes WHERE user = ?", (user,)
        ).fetchone()
        return float(row[0] or 0.0)

    def _prune_now_and_then(self) -> None:
        # Every hundredth write drops what is older than keep_seconds: the file stays the size
        # of the window, whatever the number of users.
        self._writes += 1
        if self._writes % 100 == 0:
            self._connection().execute(
                "DELETE FROM writes WHERE kind IN ('submitted', 'cancelled') AND at < ?",
                (self._now() - self.keep_seconds,),
            )
