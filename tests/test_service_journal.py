"""Tests for hpcapi.service.journal: the host's recent writes, shared by its workers."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hpcapi.service.journal import FILE_NAME, Journal


class Clock:
    """A settable time.time()."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(tmp_path: Path, clock: Clock) -> Journal:
    return Journal(str(tmp_path), keep_seconds=3600, now=clock)


def test_a_claimed_key_is_taken_until_released(journal: Journal) -> None:
    assert journal.claim_submission("alice", "k1", "d1")
    assert not journal.claim_submission("alice", "k1", "d1")
    assert journal.claim_submission("bob", "k1", "d1")  # keys are per user
    entry = journal.keyed_submission("alice", "k1")
    assert entry is not None and entry.job_id is None and entry.digest == "d1"
    assert entry.in_progress  # claimed by this very process, which is alive
    journal.release_submission("alice", "k1")
    assert journal.keyed_submission("alice", "k1") is None
    assert journal.claim_submission("alice", "k1", "d2")


def test_a_submitted_job_answers_its_key_for_the_window(journal: Journal, clock: Clock) -> None:
    assert journal.claim_submission("alice", "k1", "d1")
    journal.submitted("alice", 42, "k1", "d1")
    entry = journal.keyed_submission("alice", "k1")
    assert entry is not None
    assert (entry.job_id, entry.digest, entry.in_progress) == (42, "d1", False)
    clock.now += 3601
    assert journal.keyed_submission("alice", "k1") is None
    assert journal.claim_submission("alice", "k1", "d9")  # an expired key may be used again


def test_an_unknown_outcome_is_never_forgotten_nor_in_progress(
    journal: Journal, clock: Clock
) -> None:
    assert journal.claim_submission("alice", "k1", "d1")
    journal.outcome_unknown("alice", "k1")
    clock.now += 10 * 3600
    entry = journal.keyed_submission("alice", "k1")
    assert entry is not None and entry.unknown and not entry.in_progress
    assert not journal.claim_submission("alice", "k1", "d1")
    journal.reclaim_submission("alice", "k1", "d1")
    entry = journal.keyed_submission("alice", "k1")
    assert entry is not None and not entry.unknown and entry.in_progress


def test_a_claim_of_a_dead_worker_is_not_in_progress(journal: Journal) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    assert journal.claim_submission("alice", "k1", "d1")
    connection = sqlite3.connect(journal.path)
    connection.execute("UPDATE writes SET pid = ?", (int(dead.stdout),))
    connection.commit()
    entry = journal.keyed_submission("alice", "k1")
    assert entry is not None and not entry.in_progress


def test_recent_writes_are_per_user_and_within_the_period(journal: Journal, clock: Clock) -> None:
    journal.submitted("alice", 1)
    journal.cancelled("alice", 1)
    journal.submitted("bob", 2)
    clock.now += 100
    journal.submitted("alice", 3)
    assert journal.recent("alice", 600) == ({1, 3}, {1})
    assert journal.recent("alice", 50) == ({3}, set())
    assert journal.recent("bob", 600) == ({2}, set())
    assert journal.last_write("alice") == clock.now
    assert journal.last_write("carol") == 0.0


def test_workers_share_one_file(tmp_path: Path, clock: Clock) -> None:
    first = Journal(str(tmp_path), keep_seconds=3600, now=clock)
    second = Journal(str(tmp_path), keep_seconds=3600, now=clock)
    assert first.claim_submission("alice", "k1", "d1")
    assert not second.claim_submission("alice", "k1", "d1")
    first.submitted("alice", 7, "k1", "d1")
    entry = second.keyed_submission("alice", "k1")
    assert entry is not None and entry.job_id == 7


def test_the_file_is_private_and_old_writes_are_pruned(journal: Journal, clock: Clock,
                                                       tmp_path: Path) -> None:
    assert (os.stat(tmp_path / FILE_NAME).st_mode & 0o777) == 0o600
    for job_id in range(150):
        journal.submitted("alice", job_id)
    clock.now += 7200
    for job_id in range(150, 250):
        journal.submitted("alice", job_id)
    count = sqlite3.connect(journal.path).execute("SELECT COUNT(*) FROM writes").fetchone()[0]
    assert count <= 100 + 50  # the first 150, older than the window, went at the 200th write


def test_a_journal_of_another_schema_is_started_anew(tmp_path: Path, clock: Clock) -> None:
    connection = sqlite3.connect(tmp_path / FILE_NAME)
    connection.execute("CREATE TABLE writes (user TEXT, at REAL)")
    connection.commit()
    journal = Journal(str(tmp_path), keep_seconds=3600, now=clock)
    journal.submitted("alice", 5)
    assert journal.recent("alice", 60) == ({5}, set())


def test_an_unusable_directory_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.Error):
        Journal(str(tmp_path / "missing"), keep_seconds=60)
