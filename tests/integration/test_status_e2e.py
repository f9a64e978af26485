"""query_status end to end: the caller's jobs only, live view merged with accounting."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest

from tests.integration.conftest import REPO, scontrol_job

pytestmark = pytest.mark.e2e

SCRIPT = "#!/bin/bash\ntrue\n"
FRCE_JOB_KEYS = {"user", "name", "partition", "start", "end", "state"}


def _jobs(answer: dict) -> dict[str, dict]:
    return {key: value for key, value in answer.items() if key not in ("status", "reason")}


def test_new_job_is_listed_at_once_and_only_for_its_owner(api, cleanup_jobs):
    alice, bob = api("alice"), api("bob")
    alice_job = alice.post_json(
        "submit_job", {"partition": "norm", "script-body": "#!/bin/bash\nsleep 30\n",
                       "job-name": "alice-status"},
    ).json()["reason"]
    bob_job = bob.post_json(
        "submit_job", {"partition": "norm", "script-body": "#!/bin/bash\nsleep 30\n"}
    ).json()["reason"]
    cleanup_jobs.extend([alice_job, bob_job])

    answer = alice.get("query_status").json()
    assert answer["status"] == "call_success"
    assert answer["reason"] == "query_success"
    jobs = _jobs(answer)
    assert alice_job in jobs
    assert FRCE_JOB_KEYS <= set(jobs[alice_job])
    assert jobs[alice_job]["user"] == "alice"
    assert jobs[alice_job]["name"] == "alice-status"
    assert jobs[alice_job]["partition"] == "norm"
    assert jobs[alice_job]["state"] in ("PENDING", "RUNNING")
    assert bob_job not in jobs
    assert {job["user"] for job in jobs.values()} == {"alice"}

    bob_jobs = _jobs(bob.get("query_status").json())
    assert bob_job in bob_jobs
    assert alice_job not in bob_jobs


def test_hours_parameter_is_validated(api):
    alice = api("alice")
    assert alice.get("query_status", params={"hours": "1"}).status_code == 200
    for bad in ("0", "-1", "x", "100000"):
        response = alice.get("query_status", params={"hours": bad})
        assert response.status_code == 400
        assert response.json()["reason"] == "bad_parameter"


def _stack_up(min_job_age: int | None) -> None:
    env = {key: value for key, value in os.environ.items() if key != "HPCAPI_DEV_MIN_JOB_AGE"}
    if min_job_age is not None:
        env["HPCAPI_DEV_MIN_JOB_AGE"] = str(min_job_age)
    subprocess.run([str(REPO / "dev" / "stack"), "up"], check=True, capture_output=True, env=env)


def test_job_forgotten_by_slurmctld_is_listed_from_accounting(api):
    alice = api("alice")
    _stack_up(2)  # MinJobAge=2: slurmctld forgets finished jobs at its next purge (≤ 60 s)
    body = {"partition": "quick", "script-body": SCRIPT, "job-name": "forgotten"}
    key = {"Idempotency-Key": f"forgotten-{uuid.uuid4()}"}
    try:
        job_id = alice.post_json("submit_job", body, headers=key).json()["reason"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            result = subprocess.run(["scontrol", "-o", "show", "job", job_id],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                break
            time.sleep(1)
        else:
            pytest.fail(f"slurmctld still holds job {job_id} ({scontrol_job(job_id)})")
        jobs = _jobs(alice.get("query_status").json())
        assert job_id in jobs
        assert jobs[job_id]["state"] == "COMPLETED"
        assert jobs[job_id]["name"] == "forgotten"
        assert jobs[job_id]["end"] is not None
        # A retry with its key, after slurmctld forgot the job, finds it in accounting (which
        # keeps job comments): the same job, not a second one.
        retry = alice.post_json("submit_job", body, headers=key)
        assert retry.status_code == 200, retry.text
        assert retry.json()["reason"] == job_id
        assert retry.json()["idempotent_replay"] is True
        # The same key for another request of the same name: found in accounting too (the
        # look-up asks slurmdbd for jobs of that name only).
        reused = alice.post_json("submit_job", {**body, "script-body": SCRIPT + "# other\n"},
                                 headers=key)
        assert (reused.status_code, reused.json()["reason"]) == (409, "idempotency_key_reused")
        detail = alice.get(f"job/{job_id}").json()["job"]
        assert detail["state"] == "COMPLETED"
        assert detail["exit_code"] == 0
    finally:
        _stack_up(None)
