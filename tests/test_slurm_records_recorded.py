"""hpcapi against the slurmrestd answers recorded from real clusters (tests/data/slurmrestd/).

dev/record_slurm_records.py recorded them: four jobs of alice's (completed, failed with exit 3,
cancelled while running, held) as Slurm 25.11.7 lists them in v0.0.41-v0.0.44 (and 22.05 in
v0.0.38), that cluster's partitions, nodes and ping, and the answers to calls that fail. The
expected values below are what those records say, written out here rather than computed by the
code under test; where hpcapi reports something else than the record, a comment says why.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import JWT_KEY, SLURMRESTD_URL, FakeSlurmrestd, openapi_spec

from hpcapi.core.jobs import TimeFormat, job_detail
from hpcapi.model import Identity, Job, JobDescription, Node, Partition
from hpcapi.service.output import output_path
from hpcapi.slurm.backend import SlurmBackend
from hpcapi.slurm.client import SlurmrestClient
from hpcapi.slurm.endpoints import endpoints
from hpcapi.slurm.errors import (
    JobFinishedError,
    JobGoneError,
    SlurmrestAuthError,
    SlurmrestError,
    SlurmrestRejectedError,
)
from hpcapi.slurm.records import (
    decode_exit_struct,
    decode_wait_status,
    read_accounting_job,
    read_live_job,
    read_node,
    read_partition,
    read_pings,
)
from hpcapi.slurm.token import TokenMinter

DATA = Path(__file__).resolve().parent / "data" / "slurmrestd"
V4X = ["v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44"]  # what Slurm 25.11.7 served
KINDS = ["completed", "failed", "cancelled", "held"]
PATTERN = "/home/alice/record-%j.out"

PROBE = Identity("", "nobody", 65534, 65534, "/nonexistent", "/usr/sbin/nologin")
# The backend keeps the records whose user NAME is the caller's.
ALICE = Identity("alice@HPCAPI.TEST", "alice", 1001, 1001, "/home/alice", "/bin/bash")


# --- the recorded data ----------------------------------------------------------------------------


@cache
def _document_text(version: str, name: str) -> str:
    return (DATA / version / f"{name}.json").read_text()


def document(version: str, name: str) -> Any:
    """One recorded file, freshly decoded (callers may change it)."""
    return json.loads(_document_text(version, name))


def records(version: str, name: str) -> dict[str, dict[str, Any]]:
    """The recorded job records of live.json or accounting.json, by kind."""
    recorded = document(version, name)
    by_id = {record["job_id"]: record for record in recorded["jobs"]}
    return {kind: by_id[job_id] for kind, job_id in recorded["kinds"].items()}


def recorded_error(version: str, name: str) -> tuple[int, Any]:
    """One answer of errors.json: (HTTP status, body)."""
    answer = document(version, "errors")[name]
    return answer["status"], answer["body"]


# --- what the records say, written out ------------------------------------------------------------

IDS_2511 = {"completed": 5000558, "failed": 5000559, "cancelled": 5000560, "held": 5000561}
IDS_2205 = {"completed": 26, "failed": 27, "cancelled": 28, "held": 29}


def job(**changes: Any) -> Job:
    """The recorded 25.11 completed job as hpcapi reports it, with ``changes``."""
    values: dict[str, Any] = {
        "job_id": 5000558,
        "user": "alice",
        "name": "rec-completed",
        "partition": "quick",
        "state": "COMPLETED",
        "reason": None,  # state_reason "None"
        "submit_time": 1796160083,
        "start_time": 1796160083,
        "end_time": 1796160084,
        "exit_code": 0,
        "signal": None,
        "source": "live",
        "time_limit": 5,  # quick's DefaultTime
        "nodes": "localhost",
        "output": PATTERN,
        "error": PATTERN,  # standard_error/stderr is "": stderr goes to the output file
        "working_directory": "/home/alice",
        "comment": None,  # ""
        "array_job_id": None,  # 0: no array
        "array_task_id": None,  # unset
    }
    values.update(changes)
    return Job(**values)


LIVE_2511 = {
    "completed": job(),
    "failed": job(job_id=5000559, name="rec-failed", state="FAILED", reason="NonZeroExitCode",
                  exit_code=3),
    # exit_code {status [SIGNALED], signal {id 15, name TERM}}
    "cancelled": job(job_id=5000560, name="rec-cancelled", state="CANCELLED",
                     start_time=1796160085, end_time=1796160087, exit_code=None, signal=15),
    # The record says start_time 0 / end_time 0, nodes "", exit_code SUCCESS/0.
    "held": job(job_id=5000561, name="rec-held", state="PENDING", reason="JobHeldUser",
                start_time=None, end_time=None, exit_code=None, nodes=None),
}

# v0.0.41 and v0.0.42 live records give the expanded file name as standard_output (and no
# pattern anywhere); v0.0.43 and v0.0.44 give the pattern (and stdout_expanded).
EXPANDED = {
    "completed": "/home/alice/record-5000558.out",
    "failed": "/home/alice/record-5000559.out",
    "cancelled": "/home/alice/record-5000560.out",
    "held": "/home/alice/record-5000561.out",
}
LIVE_OUTPUT_EXPANDED = {"v0.0.41", "v0.0.42"}


def with_paths(expected: Job, kind: str) -> Job:
    """``expected`` with the file names Slurm made of the pattern (stdout_expanded); stderr
    goes to the same file (stderr_expanded is "")."""
    return dataclasses.replace(expected, output_path=EXPANDED[kind], error_path=EXPANDED[kind])


def expected_live(version: str, kind: str) -> Job:
    """The Job hpcapi reads from ``version``'s recorded live record of ``kind``."""
    expected = with_paths(LIVE_2511[kind], kind)
    if version in LIVE_OUTPUT_EXPANDED:
        # Only the file name, no pattern, in the record.
        expected = dataclasses.replace(expected, output=None, error=None)
    return expected


ACCOUNTING_2511 = {
    "completed": job(source="accounting"),
    # slurmdbd's state.reason is "None" where slurmctld says NonZeroExitCode.
    "failed": job(job_id=5000559, name="rec-failed", state="FAILED", exit_code=3,
                  source="accounting"),
    # The record says exit_code {status [SUCCESS], return_code 0} and no signal for this job
    # cancelled while running (slurmctld: SIGNALED/TERM): hpcapi reports the exit unknown.
    "cancelled": job(job_id=5000560, name="rec-cancelled", state="CANCELLED",
                     start_time=1796160085, end_time=1796160087, exit_code=None,
                     source="accounting"),
    # The record says state.reason "None" (slurmctld: JobHeldUser), nodes "None assigned",
    # and time.start = time.end = 1796160091 (v0.0.41) or 1796160092 (v0.0.42+) for a job
    # that never started: hpcapi shows no times for a pending job.
    "held": job(job_id=5000561, name="rec-held", state="PENDING", start_time=None,
                end_time=None, exit_code=None, nodes=None, source="accounting"),
}
ACCOUNTING_2511 = {kind: with_paths(job, kind) for kind, job in ACCOUNTING_2511.items()}


def job_2205(**changes: Any) -> Job:
    """The recorded 22.05 completed job as hpcapi reports it, with ``changes``."""
    values: dict[str, Any] = {"job_id": 26, "submit_time": 1795271354,
                              "start_time": 1795271355, "end_time": 1795271355}
    return job(**{**values, **changes})


LIVE_2205 = {
    "completed": job_2205(),
    # exit_code 768: the raw wait status of exit 3
    "failed": job_2205(job_id=27, name="rec-failed", state="FAILED", reason="NonZeroExitCode",
                       exit_code=3),
    # exit_code 15: the raw wait status of SIGTERM
    "cancelled": job_2205(job_id=28, name="rec-cancelled", state="CANCELLED",
                          start_time=1795271356, end_time=1795271358, exit_code=None,
                          signal=15),
    "held": job_2205(job_id=29, name="rec-held", state="PENDING", reason="JobHeldUser",
                     start_time=None, end_time=None, exit_code=None, nodes=None),
}
# 22.05's accounting records no output paths (stdout/stderr null).
NO_PATHS = {"output": None, "error": None, "source": "accounting"}
ACCOUNTING_2205 = {
    "completed": job_2205(**NO_PATHS),
    # The record says exit_code {status SUCCESS, return_code 0} for exit 3 (22.05's slurmdbd
    # says so for every normal exit): hpcapi reports it unknown.
    "failed": job_2205(job_id=27, name="rec-failed", state="FAILED", exit_code=None,
                       **NO_PATHS),
    # The record says SUCCESS/0 and no signal for the job cancelled while running.
    "cancelled": job_2205(job_id=28, name="rec-cancelled", state="CANCELLED",
                          start_time=1795271356, end_time=1795271358, exit_code=None,
                          **NO_PATHS),
    # 22.05's slurmdbd keeps the JobHeldUser reason; nodes "None assigned".
    "held": job_2205(job_id=29, name="rec-held", state="PENDING", reason="JobHeldUser",
                     start_time=None, end_time=None, exit_code=None, nodes=None, **NO_PATHS),
}


# --- the data is what the tests think it is -------------------------------------------------------


@pytest.mark.parametrize("name", ["live", "accounting"])
@pytest.mark.parametrize(
    ("version", "ids"), [("v0.0.38", IDS_2205)] + [(version, IDS_2511) for version in V4X]
)
def test_the_recorded_jobs_are_the_four_kinds(version: str, ids: dict[str, int],
                                              name: str) -> None:
    recorded = document(version, name)
    assert recorded["kinds"] == ids
    assert sorted(record["job_id"] for record in recorded["jobs"]) == sorted(ids.values())
    names = {kind: record["name"] for kind, record in records(version, name).items()}
    assert names == {kind: f"rec-{kind}" for kind in KINDS}


# --- job records ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("version", V4X)
def test_live_record(version: str, kind: str) -> None:
    read = read_live_job(version, records(version, "live")[kind])
    assert read == expected_live(version, kind)
    assert read.job_id == IDS_2511[kind]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("version", V4X)
def test_accounting_record(version: str, kind: str) -> None:
    read = read_accounting_job(version, records(version, "accounting")[kind])
    assert read == ACCOUNTING_2511[kind]
    assert read.job_id == IDS_2511[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_live_record_v0_0_38(kind: str) -> None:
    assert read_live_job("v0.0.38", records("v0.0.38", "live")[kind]) == LIVE_2205[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_accounting_record_v0_0_38(kind: str) -> None:
    read = read_accounting_job("v0.0.38", records("v0.0.38", "accounting")[kind])
    assert read == ACCOUNTING_2205[kind]


def _time(value: Any) -> Any:
    """A recorded time, plain or a v0.0.40+ {set, infinite, number} struct, as its number."""
    return value["number"] if isinstance(value, dict) else value


@pytest.mark.parametrize("version", ["v0.0.38", *V4X])
def test_the_held_job_has_no_expected_end_in_any_record(version: str) -> None:
    # What the records say: slurmctld gives a held job start 0 and end 0 (no forecast); 22.05's
    # slurmdbd gives 0 and 0, 25.11's start == end, a time of the record, no end of the job.
    live = records(version, "live")["held"]
    db = records(version, "accounting")["held"]["time"]
    assert (_time(live["start_time"]), _time(live["end_time"])) == (0, 0)
    if version == "v0.0.38":
        assert (db["start"], db["end"]) == (0, 0)
    else:
        assert db["start"] == db["end"] > db["submission"]
    for read in (read_live_job(version, live),
                 read_accounting_job(version, records(version, "accounting")["held"])):
        assert (read.state, read.start_time, read.end_time) == ("PENDING", None, None)


@pytest.mark.parametrize("version", ["v0.0.38", *V4X])
def test_a_recorded_job_seen_running_ends_at_its_start_plus_its_limit(version: str) -> None:
    # No recorded job was caught running; the completed one, as slurmctld shows it while it
    # runs (job_end_time_reset(): end_time = start_time + time_limit * 60) and as slurmdbd
    # does (state RUNNING, end 0).
    live = dict(records(version, "live")["completed"])
    start, limit = _time(live["start_time"]), _time(live["time_limit"])
    expected_end = start + limit * 60
    if version == "v0.0.38":
        live.update(job_state="RUNNING", end_time=expected_end)
    else:
        live.update(job_state=["RUNNING"],
                    end_time={"set": True, "infinite": False, "number": expected_end})
    db = dict(records(version, "accounting")["completed"])
    db["state"] = {**db["state"], "current": "RUNNING" if version == "v0.0.38" else ["RUNNING"]}
    db["time"] = {**db["time"], "end": 0}
    for read in (read_live_job(version, live), read_accounting_job(version, db)):
        assert (read.state, read.start_time, read.end_time) == ("RUNNING", start, start + 300)


@pytest.mark.parametrize("version", V4X)
def test_the_live_output_is_expanded_in_v0_0_41_and_v0_0_42_only(version: str) -> None:
    # What the records say (the premise of expected_live), checked on the raw records.
    live = records(version, "live")
    outputs = {kind: record["standard_output"] for kind, record in live.items()}
    if version in ("v0.0.41", "v0.0.42"):
        assert outputs == EXPANDED
        assert all("stdout_expanded" not in record for record in live.values())
    else:
        assert outputs == dict.fromkeys(KINDS, PATTERN)
        assert {kind: r["stdout_expanded"] for kind, r in live.items()} == EXPANDED
    accounting = records(version, "accounting")
    assert {kind: record["stdout"] for kind, record in accounting.items()} == dict.fromkeys(
        KINDS, PATTERN
    )


@pytest.mark.parametrize("version", V4X)
def test_the_cancelled_jobs_accounting_exit_is_success_zero_and_hpcapi_says_unknown(
    version: str,
) -> None:
    record = records(version, "accounting")["cancelled"]
    # What slurmdbd recorded for a job cancelled while running (REST-25.11.md):
    assert record["exit_code"]["status"] == ["SUCCESS"]
    assert record["exit_code"]["return_code"]["number"] == 0
    assert decode_exit_struct(record["exit_code"]) == (0, None)
    # ... and what hpcapi makes of it: neither an exit code nor a signal.
    read = read_accounting_job(version, record)
    assert (read.state, read.exit_code, read.signal) == ("CANCELLED", None, None)


@pytest.mark.parametrize("version", V4X)
def test_decode_exit_struct_on_the_recorded_exit_codes(version: str) -> None:
    live = {kind: decode_exit_struct(r["exit_code"])
            for kind, r in records(version, "live").items()}
    # The held job's struct says SUCCESS/0; hpcapi shows no exit code for a pending job.
    assert live == {"completed": (0, None), "failed": (3, None), "cancelled": (None, 15),
                    "held": (0, None)}
    accounting = {kind: decode_exit_struct(r["exit_code"])
                  for kind, r in records(version, "accounting").items()}
    assert accounting == {"completed": (0, None), "failed": (3, None), "cancelled": (0, None),
                          "held": (0, None)}


def test_decode_wait_status_on_the_recorded_v0_0_38_exit_codes() -> None:
    live = {kind: decode_wait_status(r["exit_code"])
            for kind, r in records("v0.0.38", "live").items()}
    assert live == {"completed": (0, None), "failed": (3, None), "cancelled": (None, 15),
                    "held": (0, None)}


# --- every version, the same job ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_version_reads_the_same_accounting_job(kind: str) -> None:
    read = [read_accounting_job(v, records(v, "accounting")[kind]) for v in V4X]
    assert read == [ACCOUNTING_2511[kind]] * len(V4X)


@pytest.mark.parametrize("kind", KINDS)
def test_every_version_reads_the_same_live_job_but_its_output(kind: str) -> None:
    read = [read_live_job(v, records(v, "live")[kind]) for v in V4X]
    no_paths = {"output": None, "error": None, "output_path": None, "error_path": None}
    without_paths = [dataclasses.replace(j, **no_paths) for j in read]
    assert without_paths == [dataclasses.replace(LIVE_2511[kind], **no_paths)] * 4


def test_every_version_reads_the_same_live_output_file() -> None:
    # v0.0.41/v0.0.42 give only the file (as standard_output), v0.0.43/v0.0.44 the pattern and
    # the file (stdout_expanded): the file is the same, and no version passes a file off as a
    # pattern.
    for kind in KINDS:
        read = [read_live_job(v, records(v, "live")[kind]) for v in V4X]
        assert {(j.output_path, j.error_path) for j in read} == {(EXPANDED[kind],) * 2}, kind
        assert [j.output for j in read] == [None, None, PATTERN, PATTERN], kind


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("version", V4X)
def test_job_detail_shows_the_file_slurm_wrote_from_every_record(version: str, kind: str) -> None:
    # Whatever form the record gives, the file shown is the one Slurm names (stdout_expanded).
    for name in ("live", "accounting"):
        reader = read_live_job if name == "live" else read_accounting_job
        detail = job_detail(reader(version, records(version, name)[kind]), TimeFormat.UTC)
        assert (detail["output"], detail["error"]) == (EXPANDED[kind], EXPANDED[kind]), name


# --- partitions, nodes, ping ----------------------------------------------------------------------

PARTITIONS_2511 = [
    # default is None: v0.0.41+ records carry no partition flags (no "flags" key), though the
    # cluster's norm is Default=YES. MaxNodes is unlimited; one node, two CPUs.
    Partition("norm", None, "UP", 1440, 60, None, 1, 2),
    Partition("quick", None, "UP", 30, 5, None, 1, 2),
    Partition("restricted", None, "UP", 480, 60, None, 1, 2),
]


@pytest.mark.parametrize("version", V4X)
def test_read_partition(version: str) -> None:
    recorded = document(version, "partitions")["partitions"]
    # Nothing in the records says which partition is the default.
    assert [("flags" in record, record["partition"]) for record in recorded] == [
        (False, {"state": ["UP"]})
    ] * 3
    assert [read_partition(version, record) for record in recorded] == PARTITIONS_2511


@pytest.mark.parametrize("version", ["v0.0.38", *V4X])
def test_read_node(version: str) -> None:
    recorded = document(version, "nodes")["nodes"]
    # The dev stack's one node, idle when recorded: two CPUs, two GPUs, no features.
    assert [read_node(version, record) for record in recorded] == [
        Node("localhost", 4000, ("norm", "quick", "restricted"), state=("IDLE",), cpus=2,
             features=(), gres="gpu:2", reason=None)
    ]


@pytest.mark.parametrize("version", V4X)
def test_read_pings(version: str) -> None:
    # v0.0.41 has no "responding": pinged "UP" says it.
    assert read_pings(version, document(version, "ping")) == (
        [{"hostname": "vm", "status": "UP"}], True
    )


@pytest.mark.parametrize("version", V4X)
def test_read_pings_of_a_refused_token(version: str) -> None:
    status, body = recorded_error(version, "ping_bad_token")
    assert status == 200
    assert read_pings(version, body) == ([{"hostname": "vm", "status": "DOWN"}], False)


# --- the backend against the recorded answers -----------------------------------------------------


def make_backend(transport: FakeSlurmrestd, configured: str) -> SlurmBackend:
    client = SlurmrestClient(
        SLURMRESTD_URL, TokenMinter(JWT_KEY, 60, min_uid=1000), timeout=2.0, transport=transport
    )
    return SlurmBackend(client, configured, PROBE)


def backend_for(version: str, transport: FakeSlurmrestd, fake: FakeSlurmrestd) -> SlurmBackend:
    """A backend using ``version`` of a slurmrestd that serves what 25.11.7 does."""
    fake.answer_json("GET", "/openapi/v3", openapi_spec(*V4X))
    backend = make_backend(transport, version)
    assert backend.detect_version() == version
    return backend


def serve_error(fake: FakeSlurmrestd, version: str, name: str, method: str, path: str) -> None:
    """Answer ``method path`` with the recorded answer ``name`` of errors.json."""
    status, body = recorded_error(version, name)
    if isinstance(body, str):
        fake.answer_text(method, path, body, status)
    else:
        fake.answer_json(method, path, body, status)


@pytest.mark.parametrize("version", V4X)
def test_live_jobs(version: str, slurm_transport: FakeSlurmrestd,
                   fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", endpoints(version).live_jobs.path(),
                                {"jobs": document(version, "live")["jobs"]})
    jobs = backend_for(version, slurm_transport, fake_slurmrestd).live_jobs(ALICE)
    assert {j.job_id: j for j in jobs} == {IDS_2511[k]: expected_live(version, k) for k in KINDS}


@pytest.mark.parametrize("version", V4X)
def test_accounting_jobs(version: str, slurm_transport: FakeSlurmrestd,
                         fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", endpoints(version).accounting_jobs.path(),
                                {"jobs": document(version, "accounting")["jobs"]})
    jobs = backend_for(version, slurm_transport, fake_slurmrestd).accounting_jobs(ALICE, 1)
    assert {j.job_id: j for j in jobs} == {IDS_2511[k]: ACCOUNTING_2511[k] for k in KINDS}


def test_live_and_accounting_jobs_v0_0_38(slurm_transport: FakeSlurmrestd,
                                          fake_slurmrestd: FakeSlurmrestd) -> None:
    ends = endpoints("v0.0.38")
    fake_slurmrestd.answer_json("GET", ends.live_jobs.path(),
                                {"jobs": document("v0.0.38", "live")["jobs"]})
    fake_slurmrestd.answer_json("GET", ends.accounting_jobs.path(),
                                {"jobs": document("v0.0.38", "accounting")["jobs"]})
    backend = make_backend(slurm_transport, "v0.0.38")
    live = backend.live_jobs(ALICE)
    accounting = backend.accounting_jobs(ALICE, 1)
    assert {j.job_id: j for j in live} == {IDS_2205[k]: LIVE_2205[k] for k in KINDS}
    assert {j.job_id: j for j in accounting} == {IDS_2205[k]: ACCOUNTING_2205[k] for k in KINDS}


@pytest.mark.parametrize("version", V4X)
def test_live_job_and_accounting_job_of_each_kind(version: str, slurm_transport: FakeSlurmrestd,
                                                  fake_slurmrestd: FakeSlurmrestd) -> None:
    ends = endpoints(version)
    live, accounting = records(version, "live"), records(version, "accounting")
    for kind, job_id in IDS_2511.items():
        fake_slurmrestd.answer_json("GET", ends.live_job.path(job_id=job_id),
                                    {"jobs": [live[kind]]})
        fake_slurmrestd.answer_json("GET", ends.accounting_job.path(job_id=job_id),
                                    {"jobs": [accounting[kind]]})
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    for kind, job_id in IDS_2511.items():
        assert backend.live_job(ALICE, job_id) == expected_live(version, kind)
        assert backend.accounting_job(ALICE, job_id) == ACCOUNTING_2511[kind]


@pytest.mark.parametrize("version", V4X)
def test_live_job_unknown_is_none(version: str, slurm_transport: FakeSlurmrestd,
                                  fake_slurmrestd: FakeSlurmrestd) -> None:
    path = endpoints(version).live_job.path(job_id=999999999)
    serve_error(fake_slurmrestd, version, "live_job_unknown", "GET", path)
    assert recorded_error(version, "live_job_unknown")[0] == 404
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    assert backend.live_job(ALICE, 999999999) is None
    assert len(fake_slurmrestd.requests_to(path)) == 1


@pytest.mark.parametrize("version", V4X)
def test_accounting_job_unknown_is_none(version: str, slurm_transport: FakeSlurmrestd,
                                        fake_slurmrestd: FakeSlurmrestd) -> None:
    # Recorded: 200, jobs [], errors [], a warning "slurmdb_jobs_get() found nothing".
    path = endpoints(version).accounting_job.path(job_id=999999999)
    serve_error(fake_slurmrestd, version, "accounting_job_unknown", "GET", path)
    assert recorded_error(version, "accounting_job_unknown")[0] == 200
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    assert backend.accounting_job(ALICE, 999999999) is None
    assert len(fake_slurmrestd.requests_to(path)) == 1


@pytest.mark.parametrize("version", ["v0.0.42", "v0.0.43", "v0.0.44"])
def test_cancel_finished_job(version: str, slurm_transport: FakeSlurmrestd,
                             fake_slurmrestd: FakeSlurmrestd) -> None:
    # Recorded: 200, errors [], status [{error {code 2021, ...}}].
    path = endpoints(version).cancel.path(job_id=IDS_2511["completed"])
    serve_error(fake_slurmrestd, version, "cancel_finished", "DELETE", path)
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    with pytest.raises(JobFinishedError) as caught:
        backend.cancel(ALICE, IDS_2511["completed"])
    assert caught.value.slurm_errors == [{"error_number": 2021}]
    assert caught.value.message == "Job/step already completing or completed"


def test_cancel_finished_job_v0_0_41_says_nothing(slurm_transport: FakeSlurmrestd,
                                                   fake_slurmrestd: FakeSlurmrestd) -> None:
    # 25.11's v0.0.41 answers cancelling a finished job with 200 {"errors": [], "warnings": []}:
    # no status[] at all, so nothing tells the backend the job had finished. (The service looks
    # the job up and refuses a finished one before it cancels.)
    status, body = recorded_error("v0.0.41", "cancel_finished")
    assert (status, {k: v for k, v in body.items() if k != "meta"}) == (
        200, {"errors": [], "warnings": []}
    )
    path = endpoints("v0.0.41").cancel.path(job_id=IDS_2511["completed"])
    serve_error(fake_slurmrestd, "v0.0.41", "cancel_finished", "DELETE", path)
    backend = backend_for("v0.0.41", slurm_transport, fake_slurmrestd)
    backend.cancel(ALICE, IDS_2511["completed"])  # returns, raising nothing
    assert len(fake_slurmrestd.requests_to(path)) == 1


@pytest.mark.parametrize("version", V4X)
def test_cancel_unknown_job(version: str, slurm_transport: FakeSlurmrestd,
                            fake_slurmrestd: FakeSlurmrestd) -> None:
    path = endpoints(version).cancel.path(job_id=999999999)
    serve_error(fake_slurmrestd, version, "cancel_unknown", "DELETE", path)
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    with pytest.raises(JobGoneError) as caught:
        backend.cancel(ALICE, 999999999)
    assert [e["error_number"] for e in caught.value.slurm_errors] == [2017]


@pytest.mark.parametrize("version", V4X)
def test_submit_to_a_bad_partition(version: str, slurm_transport: FakeSlurmrestd,
                                   fake_slurmrestd: FakeSlurmrestd) -> None:
    path = endpoints(version).submit.path()
    serve_error(fake_slurmrestd, version, "submit_bad_partition", "POST", path)
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    description = JobDescription(
        script="#!/bin/bash\ntrue\n", name="rec-refused", partition="no-such-partition",
        working_directory="/home/alice", standard_output=PATTERN,
        environment=(("PATH", "/usr/bin:/bin"),),
    )
    with pytest.raises(SlurmrestRejectedError) as caught:
        backend.submit(ALICE, description)
    assert type(caught.value) is SlurmrestRejectedError
    assert [e["error_number"] for e in caught.value.slurm_errors] == [2000]
    assert "Invalid partition name specified" in caught.value.message


@pytest.mark.parametrize("version", V4X)
def test_ping(version: str, slurm_transport: FakeSlurmrestd,
              fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", endpoints(version).ping.path(), document(version, "ping"))
    result = backend_for(version, slurm_transport, fake_slurmrestd).ping(ALICE)
    assert result["api_version"] == version
    assert result["controllers"] == [{"hostname": "vm", "status": "UP"}]


@pytest.mark.parametrize("version", V4X)
def test_ping_with_a_refused_token(version: str, slurm_transport: FakeSlurmrestd,
                                   fake_slurmrestd: FakeSlurmrestd) -> None:
    serve_error(fake_slurmrestd, version, "ping_bad_token", "GET", endpoints(version).ping.path())
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    with pytest.raises(SlurmrestAuthError, match="no responding slurmctld"):
        backend.ping(ALICE)


@pytest.mark.parametrize("version", V4X)
def test_no_token(version: str, slurm_transport: FakeSlurmrestd,
                  fake_slurmrestd: FakeSlurmrestd) -> None:
    assert recorded_error(version, "no_token") == (401, "Authentication failure")
    serve_error(fake_slurmrestd, version, "no_token", "GET", endpoints(version).ping.path())
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    with pytest.raises(SlurmrestAuthError):
        backend.ping(ALICE)


@pytest.mark.parametrize("version", V4X)
def test_accounting_jobs_with_a_refused_token_fail(version: str, slurm_transport: FakeSlurmrestd,
                                                   fake_slurmrestd: FakeSlurmrestd) -> None:
    # Recorded: 502, error 7000 "Unable to connect to database" ("Failed to open slurmdbd
    # connection, authentication error"). Not an empty history, whatever the class.
    serve_error(fake_slurmrestd, version, "accounting_jobs_bad_token", "GET",
                endpoints(version).accounting_jobs.path())
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    with pytest.raises(SlurmrestError):
        backend.accounting_jobs(ALICE, 1)


@pytest.mark.parametrize("version", V4X)
def test_accounting_jobs_with_a_refused_token_is_an_auth_error(
    version: str, slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_error(fake_slurmrestd, version, "accounting_jobs_bad_token", "GET",
                endpoints(version).accounting_jobs.path())
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    with pytest.raises(SlurmrestAuthError):
        backend.accounting_jobs(ALICE, 1)


@pytest.mark.parametrize("version", V4X)
def test_live_jobs_with_a_refused_token_fail(version: str, slurm_transport: FakeSlurmrestd,
                                             fake_slurmrestd: FakeSlurmrestd) -> None:
    # Recorded: 511, error 1007 "Protocol authentication error", jobs []. Not an empty list.
    assert recorded_error(version, "live_jobs_bad_token")[0] == 511
    serve_error(fake_slurmrestd, version, "live_jobs_bad_token", "GET",
                endpoints(version).live_jobs.path())
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    with pytest.raises(SlurmrestError):
        backend.live_jobs(ALICE)


@pytest.mark.parametrize("version", V4X)
def test_live_jobs_with_a_refused_token_is_an_auth_error(
    version: str, slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_error(fake_slurmrestd, version, "live_jobs_bad_token", "GET",
                endpoints(version).live_jobs.path())
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    with pytest.raises(SlurmrestAuthError):
        backend.live_jobs(ALICE)


@pytest.mark.parametrize("version", V4X)
def test_partitions_and_node_memory(version: str, slurm_transport: FakeSlurmrestd,
                                    fake_slurmrestd: FakeSlurmrestd) -> None:
    ends = endpoints(version)
    fake_slurmrestd.answer_json("GET", ends.partitions.path(), document(version, "partitions"))
    fake_slurmrestd.answer_json("GET", ends.nodes.path(), document(version, "nodes"))
    backend = backend_for(version, slurm_transport, fake_slurmrestd)
    assert backend.partitions(ALICE) == PARTITIONS_2511
    assert [backend.largest_node_memory(ALICE, p) for p in ("norm", "quick", "restricted")] == [
        4000, 4000, 4000
    ]
    assert backend.largest_node_memory(ALICE, "no-such-partition") is None


# --- an array's records: GET job/<array id> while task 0 of 0-2%1 runs ---------------------------


def serve_array(version: str, fake: FakeSlurmrestd) -> int:
    """Answer GET job/<array id> in both views with the recorded array answers; the array id."""
    recorded_array = document(version, "array")
    array_id = int(recorded_array["array_job_id"])
    ends = endpoints(version)
    fake.answer_json("GET", ends.live_job.path(job_id=array_id), recorded_array["live"])
    fake.answer_json("GET", ends.accounting_job.path(job_id=array_id),
                     recorded_array["accounting"])
    return array_id


@pytest.mark.parametrize("version", ["v0.0.38", *V4X])
def test_an_array_s_running_task_and_its_pending_ones(
        version: str, slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd) -> None:
    array_id = serve_array(version, fake_slurmrestd)
    if version == "v0.0.38":
        backend = make_backend(slurm_transport, version)
    else:
        backend = backend_for(version, slurm_transport, fake_slurmrestd)
    # Task 0 has a record (and a job id) of its own, in both views.
    for view in (backend.live_job, backend.accounting_job):
        running = view(ALICE, array_id, 0)
        assert running is not None and running.job_id != array_id
        assert (running.array_job_id, running.array_task_id) == (array_id, 0)
    # Its file, from slurmctld's record (expanded by Slurm or by hpcapi, as the version has it).
    task_0 = backend.live_job(ALICE, array_id, 0)
    assert task_0 is not None
    assert output_path(task_0, "stdout") == f"/home/alice/record-{array_id}_0.out"
    # Tasks 1 and 2 wait in slurmctld's one record of the array's pending tasks.
    for task in (1, 2):
        pending = backend.live_job(ALICE, array_id, task)
        assert pending is not None and pending.job_id == array_id
        assert (pending.state, pending.array_task_id, pending.array_pending) == (
            "PENDING", None, "1-2%1")
    assert backend.live_job(ALICE, array_id, 3) is None
    # Accounting says which tasks wait only as a bitmap ("0x6"), which hpcapi does not read.
    assert backend.accounting_job(ALICE, array_id, 1) is None
    # The array's own id is the record that holds its pending tasks.
    whole = backend.live_job(ALICE, array_id)
    assert whole is not None and whole.array_pending == "1-2%1"
