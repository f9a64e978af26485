"""Tests for hpcapi.core.jobs (the Job model) and hpcapi.core.records (the per-version readers).

v0.0.38 records are real ones recorded from the dev stack (Slurm 22.05); v0.0.40+ records are
written after what Slurm 25.11 really answered (notes/slurm/REST-25.11.md). Schema-generated
records for every version are in test_contract_slurm_openapi.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hpcapi.core.jobs import (
    NO_ARRAY_TASK,
    TimeFormat,
    apply_changes,
    expand_output_path,
    first_node,
    format_time,
    frce_job_entry,
    in_window,
    job_detail,
    merge_jobs,
)
from hpcapi.model import Job, Partition
from hpcapi.slurm.endpoints import endpoints, filterable_job_name, history_query
from hpcapi.slurm.records import (
    decode_exit_struct,
    decode_wait_status,
    read_accounting_job,
    read_live_job,
    read_partition,
    read_pings,
)
from hpcapi.slurm.versions import SUPPORTED_API_VERSIONS

DATA = Path(__file__).resolve().parent / "data" / "slurmrestd" / "v0.0.38"
NEW_VERSIONS = [v for v in SUPPORTED_API_VERSIONS if v != "v0.0.38"]
SUBMIT, START, END = 1795271354, 1795271356, 1795271358
OUTPUT = "/home/alice/record-%j.out"


def recorded(kind: str) -> dict[str, dict[str, Any]]:
    """The recorded v0.0.38 records of one kind ("live"/"accounting"), by what they show."""
    document = json.loads((DATA / f"{kind}.json").read_text())
    by_id = {record["job_id"]: record for record in document["jobs"]}
    return {name: by_id[job_id] for name, job_id in document["kinds"].items()}


def nv(number: int) -> dict[str, Any]:
    """A set {set, infinite, number} struct."""
    return {"set": True, "infinite": False, "number": number}


UNSET = {"set": False, "infinite": False, "number": 0}


def job(**changes: Any) -> Job:
    """A Job with the recorded jobs' common values, ``changes`` applied."""
    values: dict[str, Any] = {
        "job_id": 26,
        "user": "alice",
        "name": "rec-completed",
        "partition": "quick",
        "state": "COMPLETED",
        "reason": None,
        "submit_time": SUBMIT,
        "start_time": 1795271355,
        "end_time": 1795271355,
        "exit_code": 0,
        "signal": None,
        "source": "live",
        "time_limit": 5,
        "nodes": "localhost",
        "output": OUTPUT,
        "error": OUTPUT,  # standard_error is "": stderr goes to the output file
        "working_directory": "/home/alice",
    }
    values.update(changes)
    return Job(**values)


EXPECTED_LIVE = {
    "completed": job(),
    "failed": job(job_id=27, name="rec-failed", state="FAILED", reason="NonZeroExitCode",
                  exit_code=3),
    "cancelled": job(job_id=28, name="rec-cancelled", state="CANCELLED", start_time=START,
                     end_time=END, exit_code=None, signal=15),
    "held": job(job_id=29, name="rec-held", state="PENDING", reason="JobHeldUser",
                start_time=None, end_time=None, exit_code=None, nodes=None),
}
# 22.05's accounting records no output paths.
NO_PATHS = {"output": None, "error": None}


# --- v0.0.38: the recorded records ----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(EXPECTED_LIVE))
def test_recorded_v0_0_38_live_records(kind: str) -> None:
    assert read_live_job("v0.0.38", recorded("live")[kind]) == EXPECTED_LIVE[kind]


def test_recorded_v0_0_38_accounting_records() -> None:
    records = recorded("accounting")
    read = {kind: read_accounting_job("v0.0.38", record) for kind, record in records.items()}
    assert read["completed"] == job(source="accounting", **NO_PATHS)
    # 22.05's slurmdbd reports return_code 0 for exit 3: hpcapi reports it unknown instead.
    assert read["failed"] == job(job_id=27, name="rec-failed", state="FAILED",
                                 exit_code=None, source="accounting", **NO_PATHS)
    assert read["cancelled"] == job(job_id=28, name="rec-cancelled", state="CANCELLED",
                                    start_time=START, end_time=END, exit_code=None,
                                    source="accounting", **NO_PATHS)
    # "None assigned" is no node list.
    assert read["held"] == job(job_id=29, name="rec-held", state="PENDING",
                               reason="JobHeldUser", start_time=None, end_time=None,
                               exit_code=None, source="accounting", nodes=None, **NO_PATHS)


def test_merge_prefers_live_over_recorded_accounting() -> None:
    live = [read_live_job("v0.0.38", r) for r in recorded("live").values()]
    db = [read_accounting_job("v0.0.38", r) for r in recorded("accounting").values()]
    merged = merge_jobs(db, live[:2])
    assert merged[27].exit_code == 3 and merged[27].source == "live"
    assert merged[28].source == "accounting"
    assert sorted(merged) == [26, 27, 28, 29]


# --- v0.0.40+: records as Slurm 25.11 gives them ------------------------------------------------


def live_v0044(kind: str) -> dict[str, Any]:
    """A v0.0.44 live record equivalent to the recorded v0.0.38 one of ``kind``."""
    base = {
        "job_id": 26, "name": "rec-completed", "user_name": "alice", "user_id": 1001,
        "partition": "quick", "account": "lab", "state_reason": "None", "hold": False,
        "submit_time": nv(SUBMIT), "start_time": nv(1795271355), "end_time": nv(1795271355),
        "time_limit": nv(5), "job_state": ["COMPLETED"],
        "exit_code": {"status": ["SUCCESS"], "return_code": nv(0),
                      "signal": {"id": UNSET, "name": ""}},
        "nodes": "localhost", "standard_output": OUTPUT, "standard_error": "",
        "current_working_directory": "/home/alice", "comment": "",
        "array_job_id": nv(0), "array_task_id": UNSET,
    }
    changes: dict[str, dict[str, Any]] = {
        "completed": {},
        "failed": {"job_id": 27, "name": "rec-failed", "job_state": ["FAILED"],
                   "state_reason": "NonZeroExitCode",
                   "exit_code": {"status": ["ERROR"], "return_code": nv(3),
                                 "signal": {"id": UNSET, "name": ""}}},
        "cancelled": {"job_id": 28, "name": "rec-cancelled", "job_state": ["CANCELLED"],
                      "start_time": nv(START), "end_time": nv(END),
                      "exit_code": {"status": ["SIGNALED"], "return_code": UNSET,
                                    "signal": {"id": nv(15), "name": "TERM"}}},
        "held": {"job_id": 29, "name": "rec-held", "job_state": ["PENDING"],
                 "state_reason": "JobHeldUser", "hold": True, "start_time": nv(0),
                 "end_time": nv(0), "nodes": "",
                 "exit_code": {"status": ["PENDING"], "return_code": UNSET,
                               "signal": {"id": UNSET, "name": ""}}},
    }
    return {**base, **changes[kind]}


def db_v0044(kind: str) -> dict[str, Any]:
    """A v0.0.44 accounting record of ``kind``, as 25.11's slurmdbd gives it."""
    exit_ok = {"status": ["SUCCESS"], "return_code": nv(0), "signal": {"id": UNSET, "name": ""}}
    base = {
        "job_id": 26, "name": "rec-completed", "user": "alice", "group": "alice",
        "partition": "quick", "state": {"current": ["COMPLETED"], "reason": "None"},
        "time": {"submission": SUBMIT, "eligible": SUBMIT, "start": 1795271355,
                 "end": 1795271355, "elapsed": 0, "limit": nv(5)},
        "exit_code": exit_ok, "derived_exit_code": exit_ok,
        "nodes": "localhost", "working_directory": "/home/alice",
        "comment": {"administrator": None, "job": None, "system": None},
        "array": {"job_id": 0, "task_id": UNSET},
    }
    changes: dict[str, dict[str, Any]] = {
        "completed": {},
        "failed": {"job_id": 27, "name": "rec-failed",
                   "state": {"current": ["FAILED"], "reason": "None"},
                   "exit_code": {"status": ["ERROR"], "return_code": nv(3),
                                 "signal": {"id": UNSET, "name": ""}}},
        # slurmdbd says SUCCESS/0 for a job cancelled while running (REST-25.11.md).
        "cancelled": {"job_id": 28, "name": "rec-cancelled",
                      "state": {"current": ["CANCELLED"], "reason": "None"},
                      "time": {"submission": SUBMIT, "start": START, "end": END,
                               "limit": nv(5)}},
        "held": {"job_id": 29, "name": "rec-held",
                 "state": {"current": ["PENDING"], "reason": "JobHeldUser"},
                 "time": {"submission": SUBMIT, "start": 0, "end": 0, "limit": nv(5)},
                 "nodes": "None assigned"},
    }
    return {**base, **changes[kind]}


@pytest.mark.parametrize("version", ["v0.0.43", "v0.0.44"])
@pytest.mark.parametrize("kind", sorted(EXPECTED_LIVE))
def test_live_records_read_the_same_in_every_version(version: str, kind: str) -> None:
    from_v0038 = read_live_job("v0.0.38", recorded("live")[kind])
    assert read_live_job(version, live_v0044(kind)) == from_v0038 == EXPECTED_LIVE[kind]


@pytest.mark.parametrize("version", ["v0.0.40", "v0.0.41", "v0.0.42"])
@pytest.mark.parametrize("kind", sorted(EXPECTED_LIVE))
def test_live_output_up_to_v0_0_42_is_slurms_file_not_the_pattern(version: str, kind: str) -> None:
    # v0.0.41/v0.0.42 (25.11.7) put the expanded file name where later versions put the pattern.
    expanded = {**live_v0044(kind), "standard_output": "/home/alice/record-26.out"}
    read = read_live_job(version, expanded)
    assert (read.output, read.error) == (None, None)
    assert (read.output_path, read.error_path) == ("/home/alice/record-26.out",) * 2


@pytest.mark.parametrize("version", NEW_VERSIONS)
@pytest.mark.parametrize("kind", ["completed", "cancelled", "held"])
def test_accounting_records_read_the_same_in_every_version(version: str, kind: str) -> None:
    from_v0038 = read_accounting_job("v0.0.38", recorded("accounting")[kind])
    assert read_accounting_job(version, db_v0044(kind)) == from_v0038


@pytest.mark.parametrize("version", NEW_VERSIONS)
def test_accounting_exit_code_is_right_from_slurm_23_11(version: str) -> None:
    read = read_accounting_job(version, db_v0044("failed"))
    assert (read.state, read.exit_code, read.signal) == ("FAILED", 3, None)


def test_state_flags_do_not_hide_the_base_state() -> None:
    record = {**live_v0044("completed"), "job_state": ["COMPLETING", "COMPLETED"]}
    assert read_live_job("v0.0.44", record).state == "COMPLETED"
    record = {**live_v0044("held"), "job_state": ["REQUEUED", "PENDING"]}
    assert read_live_job("v0.0.44", record).state == "PENDING"
    record = {**live_v0044("held"), "job_state": ["SIGNALING"]}
    assert read_live_job("v0.0.44", record).state == "SIGNALING"


@pytest.mark.parametrize("version", NEW_VERSIONS)
def test_running_job_shows_the_end_slurmctld_expects(version: str) -> None:
    # slurmctld's end_time of a running job: its start plus its time limit (moved when either
    # changes), here one that was extended: what it says is shown, not a reckoning of hpcapi's.
    record = {**live_v0044("completed"), "job_state": ["RUNNING"], "end_time": nv(END + 900)}
    read = read_live_job(version, record)
    assert (read.start_time, read.end_time, read.exit_code) == (1795271355, END + 900, None)


def test_running_job_shows_the_end_slurmctld_expects_v0_0_38() -> None:
    record = {**recorded("live")["completed"], "job_state": "RUNNING", "end_time": END + 300}
    read = read_live_job("v0.0.38", record)
    assert (read.start_time, read.end_time, read.exit_code) == (1795271355, END + 300, None)


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
def test_running_job_in_accounting_ends_at_its_start_plus_its_time_limit(version: str) -> None:
    # slurmdbd records end 0 until a job ends; slurmctld expects it at start + limit.
    source = recorded("accounting")["completed"] if version == "v0.0.38" else db_v0044("completed")
    limit = 5 if version == "v0.0.38" else nv(5)
    record = {**source, "state": {"current": "RUNNING" if version == "v0.0.38" else ["RUNNING"],
                                  "reason": "None"},
              "time": {**source["time"], "start": START, "end": 0, "limit": limit}}
    read = read_accounting_job(version, record)
    assert (read.state, read.start_time, read.end_time) == ("RUNNING", START, START + 5 * 60)


@pytest.mark.parametrize("version", NEW_VERSIONS)
def test_running_job_without_a_time_limit_has_no_expected_end(version: str) -> None:
    # With no limit slurmctld sets end_time a year after the start: no end to report.
    unlimited = {"set": True, "infinite": True, "number": 0}
    live = {**live_v0044("completed"), "job_state": ["RUNNING"], "time_limit": unlimited,
            "end_time": nv(1795271355 + 365 * 86400)}
    db = db_v0044("completed")
    db = {**db, "state": {"current": ["RUNNING"], "reason": "None"},
          "time": {**db["time"], "end": 0, "limit": unlimited}}
    assert read_live_job(version, live).end_time is None
    assert read_accounting_job(version, db).end_time is None
    assert read_live_job(version, live).start_time == 1795271355


def test_running_job_without_a_time_limit_has_no_expected_end_v0_0_38() -> None:
    record = {**recorded("live")["completed"], "job_state": "RUNNING", "time_limit": 4294967295,
              "end_time": 1795271355 + 365 * 86400}
    assert read_live_job("v0.0.38", record).end_time is None


@pytest.mark.parametrize("version", NEW_VERSIONS)
def test_pending_job_shows_an_expected_end_only_where_slurmctld_forecasts_one(version: str) -> None:
    held = read_live_job(version, live_v0044("held"))  # start 0, end 0: no forecast
    assert (held.start_time, held.end_time) == (None, None)
    # The backfill scheduler's forecast: start in ten minutes, end its time limit later. The
    # forecast start is not shown (it moves with every pass); the end is Slurm's expected end.
    forecast = {**live_v0044("held"), "start_time": nv(SUBMIT + 600),
                "end_time": nv(SUBMIT + 600 + 5 * 60)}
    read = read_live_job(version, forecast)
    assert (read.state, read.start_time, read.end_time) == ("PENDING", None, SUBMIT + 900)
    # 25.11's slurmdbd gives a pending job start == end, no expected end (tests/data).
    db = db_v0044("held")
    db = {**db, "time": {**db["time"], "start": SUBMIT + 8, "end": SUBMIT + 8}}
    assert (read_accounting_job(version, db).start_time,
            read_accounting_job(version, db).end_time) == (None, None)


def test_infinite_and_unset_times_are_unknown() -> None:
    record = {**live_v0044("completed"), "submit_time": UNSET,
              "end_time": {"set": True, "infinite": True, "number": 0}}
    read = read_live_job("v0.0.44", record)
    assert (read.submit_time, read.end_time) == (None, None)


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
@pytest.mark.parametrize(
    "record",
    [
        {},
        {"job_id": None, "job_state": None, "exit_code": None, "state": None, "time": None},
        {"job_id": "12", "job_state": [], "exit_code": {"status": None}, "time": {"start": "x"}},
        {"job_id": 5, "job_state": [7], "exit_code": {"status": ["SIGNALED"], "signal": None}},
    ],
)
def test_readers_never_raise_on_sparse_or_odd_records(
    version: str, record: dict[str, Any]
) -> None:
    for read in (read_live_job, read_accounting_job):
        result = read(version, record)
        assert isinstance(result, Job)
        assert result.job_id in (0, 5)


def test_readers_refuse_unknown_versions() -> None:
    with pytest.raises(ValueError, match="unsupported slurmrestd API version"):
        read_live_job("v0.0.39", {})
    with pytest.raises(ValueError, match="unsupported slurmrestd API version"):
        read_accounting_job("v0.0.45", {})


# --- exit status decoding -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [(0, (0, None)), (768, (3, None)), (15, (None, 15)), (9 | 0x80, (None, 9)),
     (-1, (None, None)), (None, (None, None)), (True, (None, None))],
)
def test_decode_wait_status(status: object, expected: tuple[int | None, int | None]) -> None:
    assert decode_wait_status(status) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"status": ["SUCCESS"], "return_code": nv(0)}, (0, None)),
        ({"status": ["ERROR"], "return_code": nv(3)}, (3, None)),
        ({"status": ["SIGNALED"], "signal": {"id": nv(9), "name": "KILL"}}, (None, 9)),
        ({"status": ["CORE_DUMPED"], "signal": {"id": UNSET, "name": "SEGV"}}, (None, 11)),
        ({"status": ["SIGNALED"], "signal": {"name": "NOSUCH"}}, (None, None)),
        ({"status": ["PENDING"], "return_code": nv(0)}, (None, None)),
        ({"status": "SUCCESS", "return_code": 0}, (0, None)),  # 22.05's accounting shape
        ({"status": "SIGNALED", "signal": {"signal_id": 15, "name": "SIGTERM"}}, (None, 15)),
        ({"return_code": nv(2)}, (2, None)),
        ({}, (None, None)),
        (None, (None, None)),
    ],
)
def test_decode_exit_struct(value: object, expected: tuple[int | None, int | None]) -> None:
    assert decode_exit_struct(value) == expected


# --- queries and ping ---------------------------------------------------------------------------


def test_history_query_v0_0_38_counts_the_window_on_slurmdbds_clock() -> None:
    assert history_query("v0.0.38", "alice", 1001, 86_400, 1_000_000) == {
        "submit_time": "now-86400seconds",
        "skip_steps": "true",
        "groups": "1001",
    }


def test_history_query_v0_0_40_filters_by_user_and_submit_time() -> None:
    assert history_query("v0.0.40", "alice", 1001, 7200, 1_000_000.7) == {
        "users": "alice",
        "submit_time": str(1_000_000 - 7200),
        "skip_steps": "true",
    }


@pytest.mark.parametrize("version", ["v0.0.42", "v0.0.43", "v0.0.44"])
def test_history_query_from_v0_0_42_uses_start_time_as_submit_time(version: str) -> None:
    assert history_query(version, "alice", 1001, 3600, 1_000_000) == {
        "users": "alice",
        "start_time": str(1_000_000 - 3600),
        "usage_time_as_submit_time": "true",
        "skip_steps": "true",
    }


def test_history_query_v0_0_41_counts_the_window_on_slurmdbds_clock() -> None:
    # 25.11.7's v0.0.41 parser refuses an epoch start_time (422, error 9202).
    assert history_query("v0.0.41", "alice", 1001, 61, 1_000_000) == {
        "users": "alice",
        "start_time": "now-61seconds",
        "usage_time_as_submit_time": "true",
        "skip_steps": "true",
    }


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
def test_history_query_sends_exactly_the_declared_keys(version: str) -> None:
    query = history_query(version, "alice", 1001, 1, 1_000_000, job_name="x")
    assert set(query) == endpoints(version).accounting_jobs.query
    assert query["job_name"] == "x"
    assert set(history_query(version, "alice", 1001, 1, 1_000_000)) == (
        endpoints(version).accounting_jobs.query - {"job_name"}
    )


@pytest.mark.parametrize("name", ["hpcapi", "run-1.2_b+c", "A" * 200])
def test_plain_job_names_are_filterable(name: str) -> None:
    assert filterable_job_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "a,b", "it's", "a b", "x'; DROP TABLE job_table; --", "a%", "a\\b", "é", "A" * 201]
)
def test_names_slurmdbd_would_split_or_paste_into_sql_are_not(name: str) -> None:
    assert filterable_job_name(name) is None
    with pytest.raises(ValueError):
        history_query("v0.0.38", "alice", 1001, 1, 1_000_000, job_name=name)


def test_endpoint_paths() -> None:
    v38, v44 = endpoints("v0.0.38"), endpoints("v0.0.44")
    assert v38.ping.path() == "/slurm/v0.0.38/ping"
    assert v44.ping.path() == "/slurm/v0.0.44/ping/"
    assert v44.live_jobs.path() == "/slurm/v0.0.44/jobs/"
    assert v44.accounting_jobs.path() == "/slurmdb/v0.0.44/jobs/"
    assert v44.live_job.path(job_id=7) == "/slurm/v0.0.44/job/7"
    assert (v44.cancel.method, v44.cancel.path(job_id=7)) == ("DELETE", "/slurm/v0.0.44/job/7")
    assert v38.accounting_job.path(job_id=8) == "/slurmdb/v0.0.38/job/8"


def test_read_pings_v0_0_38() -> None:
    body = {"pings": [{"hostname": "vm", "ping": "UP", "status": 0}, "junk"]}
    assert read_pings("v0.0.38", body) == ([{"hostname": "vm", "status": "UP"}], True)


def test_read_pings_v0_0_44_refused_token() -> None:
    body = {"pings": [{"hostname": "vm", "pinged": "DOWN", "responding": False}]}
    assert read_pings("v0.0.44", body) == ([{"hostname": "vm", "status": "DOWN"}], False)


def test_read_pings_v0_0_40_without_responding_uses_pinged() -> None:
    body = {"pings": [{"hostname": "a", "pinged": "DOWN"}, {"hostname": "b", "pinged": "UP"}]}
    assert read_pings("v0.0.40", body)[1] is True
    assert read_pings("v0.0.40", {"pings": [{"hostname": "a", "pinged": "DOWN"}]})[1] is False


# --- the model ----------------------------------------------------------------------------------


def test_finished_and_frce_entry() -> None:
    entry = frce_job_entry(EXPECTED_LIVE["failed"], TimeFormat.UTC)
    assert EXPECTED_LIVE["failed"].finished and not EXPECTED_LIVE["held"].finished
    assert list(entry)[:6] == ["user", "name", "partition", "start", "end", "state"]
    assert entry["exit_code"] == 3 and entry["reason"] == "NonZeroExitCode"


# --- the times of answers -----------------------------------------------------------------------

# FRCE's documented start, "2025-01-27T15:24:32", on a server in US Eastern time (EST, UTC-5).
FRCE_START = int(datetime(2025, 1, 27, 20, 24, 32, tzinfo=UTC).timestamp())
# The same zone as a POSIX rule, so that no tz database is needed: EST, EDT from March to November.
EASTERN = "EST5EDT,M3.2.0,M11.1.0"


@pytest.fixture
def eastern(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is US Eastern for the test."""
    monkeypatch.setenv("TZ", EASTERN)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_frce_time_is_the_servers_local_time_without_a_zone(eastern: None) -> None:
    assert format_time(FRCE_START, TimeFormat.FRCE) == "2025-01-27T15:24:32"
    # Summer time: EDT, UTC-4.
    assert format_time(FRCE_START + 182 * 86400, TimeFormat.FRCE) == "2025-07-28T16:24:32"
    # What a script written for FRCE does with it.
    parsed = datetime.strptime(format_time(FRCE_START, TimeFormat.FRCE) or "",
                               "%Y-%m-%dT%H:%M:%S")
    assert parsed.timestamp() == FRCE_START  # naive: read in the same local zone


def test_utc_time_is_iso_8601_with_z_whatever_the_local_zone(eastern: None) -> None:
    assert format_time(FRCE_START, TimeFormat.UTC) == "2025-01-27T20:24:32Z"
    assert format_time(0, TimeFormat.UTC) == "1970-01-01T00:00:00Z"


@pytest.mark.parametrize("time_format", list(TimeFormat))
def test_unknown_time_is_null_in_every_format(time_format: TimeFormat) -> None:
    assert format_time(None, time_format) is None


def test_time_formats_are_the_config_words() -> None:
    assert [str(choice) for choice in TimeFormat] == ["frce", "utc"]


@pytest.mark.parametrize("time_format", list(TimeFormat))
def test_every_job_time_of_both_answers_is_in_the_format_asked(
    eastern: None, time_format: TimeFormat
) -> None:
    running = job(state="RUNNING", submit_time=FRCE_START - 1, start_time=FRCE_START,
                  end_time=FRCE_START + 300, exit_code=None)
    entry, detail = frce_job_entry(running, time_format), job_detail(running, time_format)
    expected = {"submit": format_time(FRCE_START - 1, time_format),
                "start": format_time(FRCE_START, time_format),
                "end": format_time(FRCE_START + 300, time_format)}
    assert {key: entry[key] for key in expected} == expected
    assert {key: detail[key] for key in expected} == expected
    forms = {TimeFormat.FRCE: ("2025-01-27T15:24:31", "2025-01-27T15:24:32",
                               "2025-01-27T15:29:32"),
             TimeFormat.UTC: ("2025-01-27T20:24:31Z", "2025-01-27T20:24:32Z",
                              "2025-01-27T20:29:32Z")}
    assert (entry["submit"], entry["start"], entry["end"]) == forms[time_format]


# --- the descriptive fields ---------------------------------------------------------------------


def test_recorded_v0_0_38_live_record_fills_the_new_fields() -> None:
    read = read_live_job("v0.0.38", recorded("live")["completed"])
    assert (read.time_limit, read.nodes, read.output, read.error, read.working_directory) == (
        5, "localhost", OUTPUT, OUTPUT, "/home/alice"
    )
    # comment "" and array_job_id 0 mean none; array_task_id is null.
    assert (read.comment, read.array_job_id, read.array_task_id) == (None, None, None)


def test_v0_0_38_live_array_task_comment_and_stderr() -> None:
    record = {**recorded("live")["completed"], "array_job_id": 40, "array_task_id": 0,
              "comment": "hpcapi:key:abc", "standard_error": "err-%A_%a.txt",
              "time_limit": 4294967295}
    read = read_live_job("v0.0.38", record)
    assert (read.array_job_id, read.array_task_id) == (40, 0)
    assert (read.comment, read.error, read.output) == ("hpcapi:key:abc", "err-%A_%a.txt", OUTPUT)
    assert read.time_limit is None  # INFINITE


@pytest.mark.parametrize("version", NEW_VERSIONS)
def test_v0_0_4x_live_array_task_and_unlimited_time(version: str) -> None:
    record = {**live_v0044("completed"), "array_job_id": nv(40), "array_task_id": nv(3),
              "comment": "note", "time_limit": {"set": True, "infinite": True, "number": 0}}
    read = read_live_job(version, record)
    assert (read.array_job_id, read.array_task_id, read.comment, read.time_limit) == (
        40, 3, "note", None
    )


def test_v0_0_38_accounting_comment_is_the_job_comment() -> None:
    record = {**recorded("accounting")["completed"],
              "comment": {"administrator": "admin", "job": "mine", "system": "sys"},
              "array": {"job_id": 40, "task_id": 7}}
    read = read_accounting_job("v0.0.38", record)
    assert (read.comment, read.array_job_id, read.array_task_id) == ("mine", 40, 7)


@pytest.mark.parametrize("version", ["v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44"])
def test_accounting_output_paths_from_slurm_24_05(version: str) -> None:
    record = {**db_v0044("completed"), "stdout": "/w/o-%j", "stderr": "",
              "stdout_expanded": "/w/o-26", "array": {"job_id": 40, "task_id": nv(2)}}
    read = read_accounting_job(version, record)
    assert (read.output, read.error, read.array_job_id, read.array_task_id) == (
        "/w/o-%j", "/w/o-%j", 40, 2
    )
    assert read.time_limit == 5


# --- expand_output_path -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/home/alice/record-%j.out", "/home/alice/record-26.out"),
        ("out-%j.txt", "/home/alice/out-26.txt"),  # relative: in the working directory
        ("%u/%x-%J", "/home/alice/alice/rec-completed-26"),
        ("/o/%8j", "/o/00000026"),
        ("/o/%12j", "/o/0000000026"),  # padding stops at 10
        ("/o/%A_%a", "/o/26_4294967294"),  # not an array job: Slurm prints NO_VAL
        ("/o/%N.%n.%t.%s", "/o/localhost.0.0.batch"),
        ("/o/100%%-%j", "/o/100%-26"),
        ("/o/%%j", "/o/%j"),
        ("/o/%q%b%r", "/o/%q%b%r"),  # unknown: left as they are
        ("/o/\\%j\\\\x", "/o/%j\\x"),  # a backslash turns expansion off
        ("/o/%", "/o/%"),
    ],
)
def test_expand_output_path(pattern: str, expected: str) -> None:
    assert expand_output_path(pattern, EXPECTED_LIVE["completed"]) == expected


def test_expand_output_path_array_task_and_unknown_node() -> None:
    task = job(job_id=45, array_job_id=40, array_task_id=5, nodes=None,
               working_directory="/w/")
    assert expand_output_path("o-%A_%3a-%N", task) == "/w/o-40_005-%N"
    assert NO_ARRAY_TASK == 4294967294
    assert expand_output_path("rel", job(working_directory=None)) == "rel"


@pytest.mark.parametrize(
    ("nodes", "first"),
    [("localhost", "localhost"), ("cn[03-04,07],gpu1", "cn03"), ("a1,a2", "a1"),
     ("cn[7]", "cn7"), ("", None)],
)
def test_first_node(nodes: str, first: str | None) -> None:
    assert first_node(nodes) == first


# --- partitions ---------------------------------------------------------------------------------

# A v0.0.38 record as 22.05's _dump_part() writes it (its key "min nodes per job" has spaces,
# where the spec says min_nodes_per_job; no partition record was recorded from the dev stack).
PARTITION_V0038: dict[str, Any] = {
    "flags": ["default"], "preemption_mode": ["disabled"], "allowed_allocation_nodes": "",
    "allowed_accounts": "", "allowed_groups": "", "allowed_qos": "", "alternative": "",
    "billing_weights": "", "default_memory_per_cpu": None, "default_memory_per_node": None,
    "default_time_limit": 60, "denied_accounts": "", "denied_qos": "",
    "preemption_grace_time": 0, "maximum_cpus_per_node": -1, "maximum_memory_per_cpu": None,
    "maximum_memory_per_node": None, "maximum_nodes_per_job": -1, "max_time_limit": 1440,
    "min nodes per job": 0, "name": "norm", "nodes": "localhost", "over_time_limit": None,
    "priority_job_factor": 1, "priority_tier": 1, "qos": "", "state": "UP", "total_cpus": 2,
    "total_nodes": 1, "tres": "cpu=2,mem=4000M,node=1,billing=2",
}


def partition_v0044(**changes: Any) -> dict[str, Any]:
    """A v0.0.44 partition record like PARTITION_V0038."""
    record: dict[str, Any] = {
        "name": "norm", "nodes": {"allowed_allocation": "", "configured": "localhost",
                                  "total": 1},
        "cpus": {"task_binding": 0, "total": 2},
        "defaults": {"time": nv(60), "memory_per_cpu": 0},
        "maximums": {"time": nv(1440), "nodes": {"set": True, "infinite": True, "number": 0},
                     "cpus_per_node": {"set": True, "infinite": True, "number": 0}},
        "partition": {"state": ["UP"]},
    }
    record.update(changes)
    return record


def test_read_partition_v0_0_38() -> None:
    assert read_partition("v0.0.38", PARTITION_V0038) == Partition(
        name="norm", default=True, state="UP", max_time=1440, default_time=60, max_nodes=None,
        total_nodes=1, total_cpus=2,
    )


def test_read_partition_v0_0_38_unlimited_and_unset() -> None:
    record = {**PARTITION_V0038, "flags": ["hidden"], "max_time_limit": -1,
              "default_time_limit": None, "maximum_nodes_per_job": 4, "state": "drain"}
    read = read_partition("v0.0.38", record)
    assert (read.default, read.max_time, read.default_time, read.max_nodes, read.state) == (
        False, None, None, 4, "DRAIN"
    )
    # 22.05 overwrites its own -1 for an INFINITE DefaultTime with 4294967295.
    assert read_partition("v0.0.38", {**record, "default_time_limit": 4294967295}).default_time \
        is None


@pytest.mark.parametrize("version", NEW_VERSIONS)
def test_read_partition_v0_0_4x(version: str) -> None:
    assert read_partition(version, partition_v0044()) == Partition(
        name="norm", default=None, state="UP", max_time=1440, default_time=60, max_nodes=None,
        total_nodes=1, total_cpus=2,
    )
    unset = read_partition(version, partition_v0044(
        defaults={"time": UNSET}, maximums={"nodes": nv(8)}, partition={"state": ["DOWN"]}))
    assert (unset.default_time, unset.max_time, unset.max_nodes, unset.state) == (
        None, None, 8, "DOWN"
    )


@pytest.mark.parametrize("version", SUPPORTED_API_VERSIONS)
@pytest.mark.parametrize("record", [{}, {"name": 5, "flags": "default", "partition": [],
                                         "nodes": "x", "state": None, "maximums": 3}])
def test_read_partition_never_raises(version: str, record: dict[str, Any]) -> None:
    read = read_partition(version, record)
    unknown_default = False if version == "v0.0.38" else None
    assert (read.name, read.default, read.state) == ("", unknown_default, "UNKNOWN")


def test_read_partition_refuses_unknown_versions() -> None:
    with pytest.raises(ValueError, match="unsupported slurmrestd API version"):
        read_partition("v0.0.39", {})


def test_partition_endpoints() -> None:
    assert endpoints("v0.0.38").partitions.path() == "/slurm/v0.0.38/partitions"
    assert endpoints("v0.0.44").partitions.path() == "/slurm/v0.0.44/partitions/"
    assert endpoints("v0.0.40").partitions in endpoints("v0.0.40").all()
    assert endpoints("v0.0.40").partitions.method == "GET"


# --- a window brought up to date ---------------------------------------------------------------


def _job(job_id: int, end: int | None, state: str = "COMPLETED") -> Job:
    return Job(job_id=job_id, user="alice", name="x", partition="quick", state=state,
               reason=None, submit_time=100, start_time=None, end_time=end, exit_code=None,
               signal=None, source="accounting")


def test_in_window_is_slurmdbds_not_ended_or_ended_since() -> None:
    assert in_window(_job(1, None, "PENDING"), 1000)
    assert in_window(_job(1, 1000), 1000)
    assert not in_window(_job(1, 999), 1000)
    # A running job's end_time is its expected end: past or not, the job has not ended.
    assert in_window(_job(1, 999, "RUNNING"), 1000)


def test_apply_changes_keeps_the_finished_and_takes_what_changed() -> None:
    base = {1: _job(1, 50), 2: _job(2, None, "PENDING")}
    updated = apply_changes(base, [_job(2, 900, "CANCELLED"), _job(3, None, "PENDING")])
    assert updated is not None
    assert sorted(updated) == [1, 2, 3]
    assert updated[1] is base[1]
    assert updated[2].state == "CANCELLED"
    assert base[2].state == "PENDING"  # the base is not changed


def test_apply_changes_refuses_when_an_unfinished_job_is_not_among_the_changes() -> None:
    assert apply_changes({2: _job(2, None, "RUNNING")}, [_job(3, None, "PENDING")]) is None
    # Also when it has an expected end: it is unfinished all the same.
    assert apply_changes({2: _job(2, 5000, "RUNNING")}, [_job(3, None, "PENDING")]) is None
