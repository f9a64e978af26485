"""FRCE's two documented examples end to end, as its users type them: submit_job with curl, and
``curl ... query_status | grep "^{" | jq``; the answers must have the documentation's shape.

FRCE's query_status shows times as sacct does, the server's local time with no zone
("2025-01-27T15:24:32"), and a running job's end as its expected end (start plus time limit,
Slurm's end_time). That is hpcapi's default ``[history] time_format = frce``, which dev/stack's
hpcapi.conf leaves as it is. gunicorn runs with no TZ (dev/stack: env -i), so its local time is
this host's /etc/localtime: scontrol, run here with no TZ either, must show the same times.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from datetime import datetime, timedelta

import pytest

from tests.integration.conftest import Ticket

pytestmark = pytest.mark.e2e

# FRCE's submit_job example body (the partition is one of the dev stack's).
FRCE_SUBMIT_BODY = (
    '{"partition": "norm", "script-body": "#!/bin/bash\\necho Hi from the API\\nsleep 180\\n"}'
)
FRCE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
FRCE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"  # what a script written for FRCE parses with
FRCE_JOB_KEYS = ["user", "name", "partition", "start", "end", "state"]


def shell(ticket: Ticket, command: str) -> str:
    """``command`` run by bash as the ticket's user would type it (pipefail on); its stdout."""
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], env=ticket.env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{command}\n{result.stderr}"
    return result.stdout


def query_status(ticket: Ticket) -> dict:
    """FRCE's documented query: curl, the answer's JSON line kept by grep, pretty-printed by jq."""
    out = shell(ticket, 'curl -sS --negotiate -u : "$HPCAPI_URL/query_status" | grep "^{" | jq')
    assert out.startswith("{\n"), out  # jq's pretty form: the answer was one line of JSON
    return json.loads(out)


def submit(ticket: Ticket, body: str) -> dict:
    """FRCE's documented submission: a JSON body POSTed with curl --negotiate."""
    out = shell(ticket, "curl -sS -XPOST --negotiate -u : -H 'Content-Type: application/json' "
                        f"-d '{body}' \"$HPCAPI_URL/submit_job\"")
    assert out.endswith("}\n") and out.count("\n") == 1, out  # one line of JSON
    return json.loads(out)


def slurm_times(job_id: str) -> dict[str, str]:
    """scontrol's JobState, StartTime, EndTime and TimeLimit, in this host's local time."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("TZ", "SLURM_TIME_FORMAT")}
    out = subprocess.run(["scontrol", "-o", "show", "job", job_id], env=env,
                         capture_output=True, text=True, check=True).stdout
    fields = dict(item.partition("=")[::2] for item in out.split())
    return {key: fields[key] for key in ("JobState", "StartTime", "EndTime", "TimeLimit")}


def minutes(limit: str) -> int:
    """A Slurm time limit as scontrol shows it ([D-]HH:MM:SS) in minutes."""
    days, _, clock = limit.rpartition("-")
    hours, mins, _ = (int(part) for part in clock.split(":"))
    return (int(days) if days else 0) * 1440 + hours * 60 + mins


def wait_running(job_id: str, seconds: float = 90) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        times = slurm_times(job_id)
        if times["JobState"] == "RUNNING":
            return times
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not start within {seconds} s ({times})")


def test_frce_submit_example(kinit, cleanup_jobs):
    answer = submit(kinit("alice"), FRCE_SUBMIT_BODY)
    cleanup_jobs.append(answer["reason"])
    # FRCE's shape: status first, the job id as reason last (hpcapi's extra keys between).
    keys = list(answer)
    assert (keys[0], keys[-1]) == ("status", "reason")
    assert answer["status"] == "call_success"
    assert isinstance(answer["reason"], str) and answer["reason"].isdigit()
    assert answer["jobid"] == answer["reason"]


def test_frce_query_status_example_running_and_pending(kinit, cleanup_jobs):
    alice = kinit("alice")
    running_id = submit(alice, FRCE_SUBMIT_BODY)["reason"]
    held_id = submit(alice, FRCE_SUBMIT_BODY[:-1] + ', "hold": true}')["reason"]
    cleanup_jobs.extend([running_id, held_id])
    slurm = wait_running(running_id)

    answer = query_status(alice)
    assert answer["status"] == "call_success"
    assert answer["reason"] == "query_success"
    assert (list(answer)[0], list(answer)[-1]) == ("status", "reason")

    job = answer[running_id]
    assert list(job)[:6] == FRCE_JOB_KEYS
    assert (job["user"], job["name"], job["partition"]) == ("alice", "hpcapi", "norm")
    deadline = time.monotonic() + 15
    while job["state"] != "RUNNING" and time.monotonic() < deadline:
        time.sleep(1)  # accounting learns of the start within seconds
        job = query_status(alice)[running_id]
    assert job["state"] == "RUNNING"
    # FRCE's form, exactly: local time, no zone, read by strptime("%Y-%m-%dT%H:%M:%S").
    for key in ("start", "end", "submit"):
        assert isinstance(job[key], str) and FRCE_TIME.fullmatch(job[key]), (key, job[key])
    start = datetime.strptime(job["start"], FRCE_TIME_FORMAT)
    end = datetime.strptime(job["end"], FRCE_TIME_FORMAT)
    # The times Slurm reports, in the server's local time; the end is the expected one.
    assert (job["start"], job["end"]) == (slurm["StartTime"], slurm["EndTime"])
    assert end - start == timedelta(minutes=minutes(slurm["TimeLimit"]))
    assert job["exit_code"] is None

    held = answer[held_id]
    assert list(held)[:6] == FRCE_JOB_KEYS
    assert held["state"] == "PENDING"
    assert (held["start"], held["end"]) == (None, None)  # a held job has no expected end
    assert FRCE_TIME.fullmatch(held["submit"])

    # A job's detail shows the same times in the same form.
    detail = json.loads(shell(alice, f'curl -sS --negotiate -u : "$HPCAPI_URL/job/{running_id}"'))
    assert {key: detail["job"][key] for key in ("submit", "start", "end")} == {
        key: job[key] for key in ("submit", "start", "end")}
