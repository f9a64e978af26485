"""A job's output read back through Apache with Kerberos, hpcapi-outputd reading it as alice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import curl, scontrol_job
from tests.integration.test_submit_e2e import wait_for_file, wait_for_state

pytestmark = pytest.mark.e2e

SCRIPT = "#!/bin/bash\necho 'line 1'\necho 'line 2'\necho 'to stderr' >&2\n"


def test_alice_reads_her_jobs_output_bob_gets_job_not_found(
    stack, api, kinit, cleanup_jobs
):
    submitted = api("alice").post_json("submit_job", {"partition": "quick", "script-body": SCRIPT,
                                                      "error": "/tmp/hpcapi-output-%j.err"})
    assert submitted.status_code == 200, submitted.text
    job_id = submitted.json()["reason"]
    cleanup_jobs.append(job_id)
    wait_for_state(job_id, {"COMPLETED"})
    wait_for_file(Path(f"/home/alice/slurm-{job_id}.out"), "line 2")

    whole = api("alice").get(f"job/{job_id}/output")
    assert whole.status_code == 200, whole.text
    output = whole.json()["output"]
    assert (output["text"], output["path"]) == ("line 1\nline 2\n",
                                                f"/home/alice/slurm-{job_id}.out")
    assert (output["eof"], output["job_finished"], output["size"]) == (True, True, 14)
    tail = api("alice").get(f"job/{job_id}/output", params={"offset": "-7"}).json()["output"]
    assert (tail["text"], tail["offset"]) == ("line 2\n", 7)
    error = api("alice").get(f"job/{job_id}/output", params={"stream": "stderr"})
    assert error.json()["output"]["text"] == "to stderr\n"
    raw = curl(stack, f"job/{job_id}/output?format=raw", kinit("alice"))
    assert (raw.status, raw.headers["content-type"].split(";")[0]) == (200, "text/plain")
    assert raw.body == "line 1\nline 2\n"

    # The CLI: the whole file, a tail, and --follow of a job that has finished.
    hpcapi = str(Path(sys.executable).parent / "hpcapi")
    env = kinit("alice").env
    for args, expected in ((["output", job_id], "line 1\nline 2\n"),
                           (["output", job_id, "--tail", "7"], "line 2\n"),
                           (["output", job_id, "--stderr", "--follow"], "to stderr\n")):
        done = subprocess.run([hpcapi, *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert (done.returncode, done.stdout) == (0, expected), done.stderr

    stranger = api("bob").get(f"job/{job_id}/output")
    assert (stranger.status_code, stranger.json()["reason"]) == (404, "job_not_found")
    bad = api("alice").get(f"job/{job_id}/output", params={"stream": "stdin"})
    assert (bad.status_code, bad.json()["reason"]) == (400, "bad_parameter")


def test_a_symlinked_output_is_refused_and_nothing_read(api, cleanup_jobs):
    # The job replaces its own output file with a link to a file alice cannot read.
    script = "#!/bin/bash\nln -sf /etc/shadow /tmp/hpcapi-output-link-$SLURM_JOB_ID\n"
    submitted = api("alice").post_json("submit_job", {
        "partition": "quick", "script-body": script,
        "output": "/tmp/hpcapi-output-link-%j"})
    assert submitted.status_code == 200, submitted.text
    job_id = submitted.json()["reason"]
    cleanup_jobs.append(job_id)
    wait_for_state(job_id, {"COMPLETED"})
    answer = api("alice").get(f"job/{job_id}/output")
    assert (answer.status_code, answer.json()["reason"]) == (409, "output_not_available")
    assert "symbolic link" in answer.json()["message"]
    assert "root" not in answer.text


def test_follow_shows_output_while_the_job_runs_and_stops_after(api, kinit, cleanup_jobs):
    script = "#!/bin/bash\necho first\nsleep 4\necho second\n"
    submitted = api("alice").post_json("submit_job", {"partition": "quick", "script-body": script})
    assert submitted.status_code == 200, submitted.text
    job_id = submitted.json()["reason"]
    cleanup_jobs.append(job_id)
    wait_for_file(Path(f"/home/alice/slurm-{job_id}.out"), "first")
    hpcapi = str(Path(sys.executable).parent / "hpcapi")
    follow = subprocess.Popen([hpcapi, "output", job_id, "--follow"], env=kinit("alice").env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert follow.stdout is not None
    assert follow.stdout.readline() == "first\n"
    assert scontrol_job(job_id)["JobState"] == "RUNNING"  # shown while the job runs
    rest, errors = follow.communicate(timeout=60)
    assert (follow.returncode, rest) == (0, "second\n"), errors
    assert wait_for_state(job_id, {"COMPLETED"})["JobState"] == "COMPLETED"


def test_an_array_task_s_output_is_read_by_its_task_id(api, kinit, cleanup_jobs):
    # One task at a time, so task 1 waits while task 0 runs.
    script = "#!/bin/bash\necho \"task $SLURM_ARRAY_TASK_ID\"\nsleep 3\n"
    submitted = api("alice").post_json("submit_job", {"partition": "quick", "script-body": script,
                                                      "array": "0-1%1"})
    assert submitted.status_code == 200, submitted.text
    array_id = submitted.json()["reason"]
    cleanup_jobs.append(array_id)
    wait_for_file(Path(f"/home/alice/slurm-{array_id}_0.out"), "task 0")
    waiting = api("alice").get(f"job/{array_id}_1/output")
    assert (waiting.status_code, waiting.json()["reason"]) == (409, "output_not_available")
    assert waiting.json()["message"] == f"array task 1 of job {array_id} has not started"

    assert wait_for_state(f"{array_id}_1", {"COMPLETED"})["JobState"] == "COMPLETED"
    for task in (0, 1):
        answer = api("alice").get(f"job/{array_id}_{task}/output")
        assert answer.status_code == 200, answer.text
        output = answer.json()["output"]
        assert (output["job_id"], output["path"], output["text"], output["job_finished"]) == (
            f"{array_id}_{task}", f"/home/alice/slurm-{array_id}_{task}.out", f"task {task}\n",
            True)
    hpcapi = str(Path(sys.executable).parent / "hpcapi")
    done = subprocess.run([hpcapi, "output", f"{array_id}_1"], env=kinit("alice").env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout) == (0, "task 1\n"), done.stderr

    for who, task in (("bob", 1), ("alice", 2)):
        refused = api(who).get(f"job/{array_id}_{task}/output")
        assert (refused.status_code, refused.json()["reason"]) == (404, "job_not_found")
