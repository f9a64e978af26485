"""Tests for hpcapi.client.times: a server's job times in either form it answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from hpcapi.client.times import local_time_text, parse_time

# FRCE's documented start, on a machine in US Eastern time (a POSIX rule: no tz database needed).
EASTERN = "EST5EDT,M3.2.0,M11.1.0"
FRCE_START_UTC = datetime(2025, 1, 27, 20, 24, 32, tzinfo=UTC)


@pytest.fixture
def eastern(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine's local time zone is US Eastern for the test."""
    monkeypatch.setenv("TZ", EASTERN)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_utc_with_z_is_read_as_utc(eastern: None) -> None:
    parsed = parse_time("2025-01-27T20:24:32Z")
    assert parsed == FRCE_START_UTC
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


def test_frces_naive_time_is_read_as_local_time(eastern: None) -> None:
    parsed = parse_time("2025-01-27T15:24:32")
    assert parsed == FRCE_START_UTC  # EST is UTC-5
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=-5)
    # Summer: EDT, UTC-4.
    assert parse_time("2025-07-28T16:24:32") == datetime(2025, 7, 28, 20, 24, 32, tzinfo=UTC)


def test_both_forms_of_one_moment_are_equal(eastern: None) -> None:
    assert parse_time("2025-01-27T15:24:32") == parse_time("2025-01-27T20:24:32Z")


def test_null_is_none() -> None:
    assert parse_time(None) is None


@pytest.mark.parametrize(
    "text",
    ["", "2025-01-27", "2025-01-27 15:24:32", "2025-01-27T15:24:32+00:00",
     "2025-01-27T15:24:32.5Z", "27/01/2025 15:24:32", "2025-01-27T25:24:32", "Unknown"],
)
def test_other_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_a_table_shows_either_form_as_the_same_local_time(eastern: None) -> None:
    assert local_time_text("2025-01-27T20:24:32Z") == "2025-01-27T15:24:32"
    assert local_time_text("2025-01-27T15:24:32") == "2025-01-27T15:24:32"


@pytest.mark.parametrize("value", [None, "Unknown", "2025-01-27 15:24:32", 1737995072])
def test_a_table_shows_what_is_no_time_as_it_is(value: object) -> None:
    assert local_time_text(value) == value
