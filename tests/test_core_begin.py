"""Tests for sbatch --begin times: parse_begin's forms and resolve_begin's instants.

Every instant is checked in a fixed local time zone (TZ, with time.tzset()), given as a POSIX
rule so that no tz database is needed, against a fixed submission time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from datetime import time as clock

import pytest

from hpcapi.core.slurmsyntax import BEGIN_FORMS, parse_begin, resolve_begin
from hpcapi.core.submit import SubmitPolicy, SubmitRequest, parse_submit_request
from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import BeginTime
from tests.submit_bodies import build_submit_body, owner

# Central European time: summer time from the last Sunday of March 02:00 to the last Sunday
# of October 03:00 (2026: March 29 and October 25).
BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"
NEW_YORK = "EST5EDT,M3.2.0,M11.1.0"


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this process's local time zone; the old one is back after the test."""

    def use(rule: str) -> None:
        monkeypatch.setenv("TZ", rule)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def berlin(zone: Callable[[str], None]) -> None:
    zone(BERLIN)


def local(*fields: int) -> float:
    """The epoch of a local wall-clock time (the test's submission times)."""
    return datetime(*fields).timestamp()  # type: ignore[arg-type]


def resolved(value: str, now: float) -> datetime:
    """The local wall-clock time ``value`` names for a submission at ``now``."""
    return datetime.fromtimestamp(resolve_begin(parse_begin(value), now))


def resolved_utc(value: str, now: float) -> datetime:
    """The instant ``value`` names for a submission at ``now``, in UTC (naive)."""
    return datetime.fromtimestamp(resolve_begin(parse_begin(value), now), UTC).replace(tzinfo=None)


# --- the forms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "begin"),
    [
        ("16:00", BeginTime(time_of_day=clock(16))),
        ("9:05", BeginTime(time_of_day=clock(9, 5))),
        ("16:00:30", BeginTime(time_of_day=clock(16, 0, 30))),
        ("4:00PM", BeginTime(time_of_day=clock(16))),
        ("4:00 pm", BeginTime(time_of_day=clock(16))),
        ("04:00:09 am", BeginTime(time_of_day=clock(4, 0, 9))),
        ("12:00 AM", BeginTime(time_of_day=clock(0))),
        ("12:30 PM", BeginTime(time_of_day=clock(12, 30))),
        ("11:59 pm", BeginTime(time_of_day=clock(23, 59))),
        ("0:30 PM", BeginTime(time_of_day=clock(12, 30))),  # _get_time(): 0 + 12
        ("midnight", BeginTime(time_of_day=clock(0))),
        ("noon", BeginTime(time_of_day=clock(12))),
        ("elevenses", BeginTime(time_of_day=clock(11))),
        ("fika", BeginTime(time_of_day=clock(15))),
        ("TeaTime", BeginTime(time_of_day=clock(16))),
        ("today", BeginTime(time_of_day=clock(0), days_ahead=0)),
        ("Tomorrow", BeginTime(time_of_day=clock(0), days_ahead=1)),
        ("16:00 tomorrow", BeginTime(time_of_day=clock(16), days_ahead=1)),
        ("tomorrow 4:00 PM", BeginTime(time_of_day=clock(16), days_ahead=1)),
        ("noon  today", BeginTime(time_of_day=clock(12), days_ahead=0)),
        ("1225", BeginTime(time_of_day=clock(0), month_day=(12, 25))),
        ("122527", BeginTime(local_time=datetime(2027, 12, 25))),
        ("12/25", BeginTime(time_of_day=clock(0), month_day=(12, 25))),
        ("1/5", BeginTime(time_of_day=clock(0), month_day=(1, 5))),
        ("12/25/27", BeginTime(local_time=datetime(2027, 12, 25))),
        ("12.25", BeginTime(time_of_day=clock(0), month_day=(12, 25))),
        ("12.25.27", BeginTime(local_time=datetime(2027, 12, 25))),
        ("02/29", BeginTime(time_of_day=clock(0), month_day=(2, 29))),
        ("02/29/28", BeginTime(local_time=datetime(2028, 2, 29))),
        ("12/25-10:00", BeginTime(time_of_day=clock(10), month_day=(12, 25))),
        ("1225-10:00:05", BeginTime(time_of_day=clock(10, 0, 5), month_day=(12, 25))),
        ("12/25/27 teatime", BeginTime(local_time=datetime(2027, 12, 25, 16))),
        ("10:00 PM 12.25", BeginTime(time_of_day=clock(22), month_day=(12, 25))),
        ("2030-01-02", BeginTime(local_time=datetime(2030, 1, 2))),
        ("2030-01-02T03:04", BeginTime(local_time=datetime(2030, 1, 2, 3, 4))),
        ("2030-01-02T03:04:05", BeginTime(local_time=datetime(2030, 1, 2, 3, 4, 5))),
        ("2030-01-02 3:04 pm", BeginTime(local_time=datetime(2030, 1, 2, 15, 4))),
        ("noon 2030-01-02", BeginTime(local_time=datetime(2030, 1, 2, 12))),
        ("2000-01-01", BeginTime(local_time=datetime(2000, 1, 1))),
        ("now", BeginTime(delay_seconds=0)),
        ("now+60", BeginTime(delay_seconds=60)),
        ("now+0", BeginTime(delay_seconds=0)),
        ("now-90", BeginTime(delay_seconds=-90)),
        ("now + 1 hour", BeginTime(delay_seconds=3600)),
        ("now +2hours", BeginTime(delay_seconds=7200)),
        ("now- 3 minutes", BeginTime(delay_seconds=-180)),
        ("NOW+1Week", BeginTime(delay_seconds=604800)),
        ("now+2weeks", BeginTime(delay_seconds=1209600)),
        ("now+1day", BeginTime(delay_seconds=86400)),
        ("now+10seconds", BeginTime(delay_seconds=10)),
        ("now+1second", BeginTime(delay_seconds=1)),
        ("now+365days", BeginTime(delay_seconds=365 * 86400)),
        ("now-365days", BeginTime(delay_seconds=-365 * 86400)),
    ],
)
def test_every_documented_form(value: str, begin: BeginTime) -> None:
    assert parse_begin(value) == begin


@pytest.mark.parametrize(
    "value",
    [
        "", " ", "soon", "now+", "now-", "now+1h", "now+1min", "now+5years", "now+1 0",
        "now+1hour ", " now", "now+1hourtomorrow", "now+1hour tomorrow", "tomorrow now",
        "now++1", "now+-1", "now+1.5hours", "uts1800000000", "1800000000",
        "16:00 ", " 16:00", "16:00tomorrow", "16:00\ttomorrow", "16", "16:0", "16:000",
        "16:00:0", "123:00", "24:00", "23:60", "23:59:60", "13:00 PM", "13:00am", "4:00 xm",
        "4:00 p.m.", "noon pm", "noon 16:00", "16:00 17:00", "today tomorrow", "today today",
        "today-16:00", "todayX", "noonish", "tomorrow16:00",
        "125", "12255", "12/2527", "12/25.27", "12/25/2027", "12/25/7", "13/01", "00/10",
        "12/00", "12/32", "02/30", "04/31", "02/29/27", "12/25/00", "122500",
        "2030-1-02", "2030-01-2", "2030-13-01", "2030-02-30", "2030-01-01T25:00",
        "2030-01-01t10:00", "2030-01-01-10:00", "2030-01-01T4:00 PM", "2030-01-01T10",
        "12/25T10:00", "10:00-12/25", "1999-12-31", "0999-01-01", "2030-01-02T03:04:05Z",
        "\uff11\uff12:00",  # full-width digits
    ],
)
def test_undocumented_or_impossible_forms_are_refused(value: str) -> None:
    with pytest.raises(HpcapiError) as caught:
        parse_begin(value)
    assert caught.value.code is ErrorCode.BAD_PARAMETER
    assert "begin" in caught.value.message


@pytest.mark.parametrize("value", [1800000000, None, True, ["now"]])
def test_a_begin_is_text(value: object) -> None:
    with pytest.raises(HpcapiError) as caught:
        parse_begin(value)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.BAD_PARAMETER


def test_the_refusal_names_the_field_and_the_forms() -> None:
    with pytest.raises(HpcapiError) as caught:
        parse_submit_request(
            {"script-body": "#!/bin/sh\ntrue\n", "partition": "norm", "begin": "soon"},
            SubmitPolicy(allowed_partitions=("norm",)),
        )
    assert caught.value.code is ErrorCode.BAD_PARAMETER
    assert caught.value.message.startswith("begin: ")
    assert "'soon'" in caught.value.message
    assert BEGIN_FORMS in caught.value.message
    for form in ["HH:MM[:SS]", "teatime", "tomorrow", "MM.DD[.YY]", "YYYY-MM-DD[THH:MM[:SS]]",
                 "now[{+|-}"]:
        assert form in BEGIN_FORMS


def test_a_begin_time_has_exactly_one_form() -> None:
    with pytest.raises(ValueError, match="BeginTime"):
        BeginTime()
    with pytest.raises(ValueError, match="BeginTime"):
        BeginTime(delay_seconds=1, local_time=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="BeginTime"):
        BeginTime(month_day=(1, 2))  # a date without a time of day
    with pytest.raises(ValueError, match="BeginTime"):
        BeginTime(time_of_day=clock(1), month_day=(1, 2), days_ahead=1)


# --- the instants, a summer afternoon in Berlin ---------------------------------------------

# Wednesday 2026-06-10 14:30:20 CEST.
SUMMER = 1_781_094_620.0


def test_the_submission_time_is_the_one_meant(berlin: None) -> None:
    assert datetime.fromtimestamp(SUMMER) == datetime(2026, 6, 10, 14, 30, 20)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16:00", datetime(2026, 6, 10, 16)),
        ("14:31", datetime(2026, 6, 10, 14, 31)),
        # A time of day whose minute has come is tomorrow's, seconds or not (parse_time()).
        ("14:30", datetime(2026, 6, 11, 14, 30)),
        ("14:30:59", datetime(2026, 6, 11, 14, 30, 59)),
        ("10:00", datetime(2026, 6, 11, 10)),
        ("4:00 PM", datetime(2026, 6, 10, 16)),
        ("2:00 pm", datetime(2026, 6, 11, 14)),
        ("12:00 AM", datetime(2026, 6, 11)),
        ("0:30 pm", datetime(2026, 6, 11, 12, 30)),
        ("midnight", datetime(2026, 6, 11)),
        ("noon", datetime(2026, 6, 11, 12)),
        ("elevenses", datetime(2026, 6, 11, 11)),
        ("fika", datetime(2026, 6, 10, 15)),
        ("teatime", datetime(2026, 6, 10, 16)),
        # today and tomorrow fix the day, past or not.
        ("today", datetime(2026, 6, 10)),
        ("today 10:00", datetime(2026, 6, 10, 10)),
        ("noon today", datetime(2026, 6, 10, 12)),
        ("tomorrow", datetime(2026, 6, 11)),
        ("16:00 tomorrow", datetime(2026, 6, 11, 16)),
        ("tomorrow 10:00:05", datetime(2026, 6, 11, 10, 0, 5)),
        # A date without a year is this year's unless it has come (to the minute).
        ("0611", datetime(2026, 6, 11)),
        ("06/10", datetime(2027, 6, 10)),
        ("06/10 15:00", datetime(2026, 6, 10, 15)),
        ("06/10 14:30", datetime(2027, 6, 10, 14, 30)),
        ("6/10-14:31", datetime(2026, 6, 10, 14, 31)),
        ("06.09", datetime(2027, 6, 9)),
        ("12/31 teatime", datetime(2026, 12, 31, 16)),
        ("01/01", datetime(2027, 1, 1)),
        ("02/29", datetime(2027, 3, 1)),  # mktime(): February 29th of 2027 is March 1st
        # A date with its year is that date.
        ("061127", datetime(2027, 6, 11)),
        ("06.11.27 fika", datetime(2027, 6, 11, 15)),
        ("06/09/26", datetime(2026, 6, 9)),
        ("2026-06-11T08:00", datetime(2026, 6, 11, 8)),
        ("2026-06-10", datetime(2026, 6, 10)),
        ("2030-01-02 3:04:05 pm", datetime(2030, 1, 2, 15, 4, 5)),
    ],
)
def test_instants_in_summer(berlin: None, value: str, expected: datetime) -> None:
    assert resolved(value, SUMMER) == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("now", 0), ("now+60", 60), ("now+1hour", 3600), ("now - 2 days", -172800),
     ("now+1week", 604800), ("now+365days", 365 * 86400)],
)
def test_delays_count_from_the_submission(berlin: None, value: str, seconds: int) -> None:
    assert resolve_begin(parse_begin(value), SUMMER + 0.9) == int(SUMMER) + seconds


def test_the_local_zone_decides(zone: Callable[[str], None]) -> None:
    zone(NEW_YORK)  # SUMMER is 08:30:20 EDT there
    assert resolved("16:00", SUMMER) == datetime(2026, 6, 10, 16)
    assert resolved_utc("16:00", SUMMER) == datetime(2026, 6, 10, 20)
    assert resolved_utc("2026-06-10T07:00", SUMMER) == datetime(2026, 6, 10, 11)
    zone(BERLIN)
    assert resolved_utc("16:00", SUMMER) == datetime(2026, 6, 10, 14)
    assert resolved_utc("2026-06-10T07:00", SUMMER) == datetime(2026, 6, 10, 5)
    zone("UTC0")
    assert resolved_utc("10:00", SUMMER) == datetime(2026, 6, 11, 10)  # 12:30:20 UTC now


# --- daylight saving time changes -------------------------------------------------------------


def test_tomorrow_after_the_short_night_is_the_next_calendar_day(berlin: None) -> None:
    now = local(2026, 3, 28, 23, 30)  # Saturday; Sunday lasts 23 hours
    # parse_time() takes the date 24 hours later, Monday; the next calendar day is Sunday.
    assert resolved("tomorrow", now) == datetime(2026, 3, 29)
    assert resolved_utc("tomorrow", now) == datetime(2026, 3, 28, 23)  # CET, +01:00
    assert resolved_utc("tomorrow noon", now) == datetime(2026, 3, 29, 10)  # CEST, +02:00
    assert resolved("23:00", now) == datetime(2026, 3, 29, 23)


def test_tomorrow_on_the_long_day_is_the_next_calendar_day(berlin: None) -> None:
    now = local(2026, 10, 25, 0, 30)  # Sunday lasts 25 hours
    # parse_time()'s 24 hours later is still Sunday, 23:30.
    assert resolved("tomorrow", now) == datetime(2026, 10, 26)
    assert resolved_utc("tomorrow", now) == datetime(2026, 10, 25, 23)
    assert resolved("00:15", now) == datetime(2026, 10, 26, 0, 15)


def test_a_time_skipped_by_the_change_counts_with_winter_time(berlin: None) -> None:
    now = local(2026, 3, 29, 1, 0)  # 00:00 UTC; 02:00-03:00 does not exist today
    assert resolved_utc("02:30", now) == datetime(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert resolved("02:30", now) == datetime(2026, 3, 29, 3, 30)
    assert resolved_utc("2026-03-29T02:30", now) == datetime(2026, 3, 29, 1, 30)
    assert resolved_utc("03:00", now) == datetime(2026, 3, 29, 1, 0)
    assert resolved_utc("01:59", now) == datetime(2026, 3, 29, 0, 59)


def test_a_repeated_time_is_its_first_occurrence(berlin: None) -> None:
    now = local(2026, 10, 24, 12, 0)
    assert resolved_utc("2026-10-25T02:30", now) == datetime(2026, 10, 25, 0, 30)  # CEST
    assert resolved_utc("10/25-02:30", now) == datetime(2026, 10, 25, 0, 30)
    assert resolved_utc("2026-10-25T03:30", now) == datetime(2026, 10, 25, 2, 30)  # CET


def test_delays_are_elapsed_seconds_across_a_change(berlin: None) -> None:
    now = local(2026, 3, 29, 1, 0)
    assert resolved("now+2hours", now) == datetime(2026, 3, 29, 4)  # the clock jumped
    assert resolve_begin(parse_begin("now+1day"), now) - int(now) == 86400
    assert resolved("now+1day", now) == datetime(2026, 3, 30, 2)


def test_a_yearless_date_that_has_come_is_next_years_across_new_year(berlin: None) -> None:
    now = local(2026, 12, 31, 23, 59, 30)
    assert resolved("12/31", now) == datetime(2027, 12, 31)
    assert resolved("01/01", now) == datetime(2027, 1, 1)
    assert resolved("23:59", now) == datetime(2027, 1, 1, 23, 59)
    assert resolved("tomorrow", now) == datetime(2027, 1, 1)


def test_february_29th_without_a_year_in_a_leap_year(berlin: None) -> None:
    assert resolved("02/29", local(2028, 1, 10)) == datetime(2028, 2, 29)
    assert resolved("02/29 noon", local(2028, 2, 29, 13)) == datetime(2029, 3, 1, 12)


# --- both API versions ask for the same instant -----------------------------------------------


@pytest.mark.parametrize("value", ["16:00 tomorrow", "now+90minutes", "12/25", "noon",
                                   "2026-10-25T02:30", "now-1hour"])
def test_both_api_versions_begin_at_the_same_instant(berlin: None, value: str) -> None:
    caller = owner("alice", 1000, "/home/alice", "/bin/bash")
    request = SubmitRequest("#!/bin/sh\ntrue\n", 0, "norm", begin=parse_begin(value))
    old = build_submit_body(request, caller, "/w", "/usr/bin", "C", now=SUMMER)
    new = build_submit_body(request, caller, "/w", "/usr/bin", "C", "v0.0.44", now=SUMMER)
    epoch = new["job"]["begin_time"]["number"]
    assert epoch == resolve_begin(request.begin, SUMMER)  # type: ignore[arg-type]
    # v0.0.38 gets the same instant as the local time Slurm 22.05's parse_time() reads.
    assert datetime.strptime(old["job"]["begin_time"], "%Y-%m-%dT%H:%M:%S") == (
        datetime.fromtimestamp(epoch)
    )


def test_v0_0_38_gets_a_local_time_string(berlin: None) -> None:
    caller = owner("alice", 1000, "/home/alice", "/bin/bash")
    request = SubmitRequest("#!/bin/sh\ntrue\n", 0, "norm", begin=parse_begin("16:00 tomorrow"))
    body = build_submit_body(request, caller, "/w", "/usr/bin", "C", now=SUMMER)
    assert body["job"]["begin_time"] == "2026-06-11T16:00:00"
    body = build_submit_body(request, caller, "/w", "/usr/bin", "C", "v0.0.41", now=SUMMER)
    assert body["job"]["begin_time"] == {"set": True, "infinite": False, "number": 1781186400}
