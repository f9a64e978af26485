"""FRCE job submission end to end: real tickets, Apache, hpcapi, slurmrestd, slurmctld, slurmd."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.conftest import REALM, curl, scontrol_job, slurm_job_ids

pytestmark = pytest.mark.e2e

FRCE_EXAMPLE = (
    '{"partition": "norm", "script-body": "#!/bin/bash\\necho Hi from the API\\nsleep 180\\n"}'
)


def wait_for_file(path: Path, text: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return path.read_text(errors="replace")
        time.sleep(0.25)
    raise AssertionError(f"{path} did not come to hold {text!r} within {seconds} s")


def wait_for_state(job_id: int | str, states: set[str], seconds: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = scontrol_job(job_id)
        if job.get("JobState") in states:
            return job
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} did not reach {states} within {seconds} s")


def test_frce_example_with_curl_runs_as_alice(stack, kinit, cleanup_jobs):
    result = curl(
        stack, "submit_job", kinit("alice"),
        "-H", "Content-Type: application/json", "--data-binary", FRCE_EXAMPLE,
    )
    assert result.status == 200
    body = result.json()
    assert body["status"] == "call_success"
    job_id = body["reason"]
    assert job_id.isdigit()
    cleanup_jobs.append(job_id)

    job = scontrol_job(job_id)
    assert job["UserId"].startswith("alice(")
    assert job["Partition"] == "norm"
    assert job["WorkDir"] == "/home/alice"
    output = Path(f"/home/alice/slurm-{job_id}.out")
    assert "Hi from the API" in wait_for_file(output, "Hi from the API")
    assert output.stat().st_uid == int(job["UserId"].split("(")[1].rstrip(")"))
    assert output.owner() == "alice"


def test_only_the_leading_sbatch_lines_are_stripped(api, cleanup_jobs):
    # As sbatch reads them: the leading block's "#SBATCH" lines; an indented one is a comment
    # and one after the first command is the program's (a heredoc, say), so both stay.
    script = (
        "#!/bin/bash\n#SBATCH --partition=restricted\n#SBATCH --mem=999G\n"
        "  #SBATCH --indented\necho stripped\n#SBATCH --after-the-first-command\n"
    )
    response = api("alice").post_json("submit_job", {"partition": "norm", "script-body": script})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sbatch_lines_removed"] == 2
    cleanup_jobs.append(body["reason"])
    job = scontrol_job(body["reason"])
    assert job["Partition"] == "norm"
    # DefMemPerCPU=100: the default memory, not 999G.
    assert job["MinMemoryCPU"] == "100M"
    stored = subprocess.run(
        ["scontrol", "write", "batch_script", body["reason"], "-"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert stored == (
        "#!/bin/bash\n  #SBATCH --indented\necho stripped\n#SBATCH --after-the-first-command\n"
    )
    done = wait_for_state(body["reason"], {"COMPLETED", "FAILED"})
    assert done["JobState"] == "COMPLETED"


def test_job_environment_is_clean_and_has_sbatch_variables(api, cleanup_jobs):
    script = "#!/bin/bash\nenv | sort\n"
    response = api("alice").post_json(
        "submit_job",
        {"partition": "quick", "script-body": script, "ntasks": 2, "ntasks-per-node": 2,
         "cpus-per-task": 1, "timelimit": "00:05:00"},
    )
    assert response.status_code == 200, response.text
    job_id = response.json()["reason"]
    cleanup_jobs.append(job_id)
    wait_for_state(job_id, {"COMPLETED"})
    env = dict(
        line.split("=", 1)
        for line in Path(f"/home/alice/slurm-{job_id}.out").read_text().splitlines()
        if "=" in line
    )
    assert env["USER"] == "alice"
    assert env["HOME"] == "/home/alice"
    assert env["SLURM_CPUS_PER_TASK"] == "1"
    assert env["SLURM_NTASKS_PER_NODE"] == "2"
    assert env["SLURM_NTASKS"] == "2"
    # Nothing of the service's own environment (gunicorn runs with a canary variable).
    assert "HPCAPI_DEV_CANARY" not in env
    assert "HPCAPI_CONFIG" not in env
    assert not any("TOKEN" in name for name in env)
    assert "service-environment-must-not-leak" not in Path(
        f"/home/alice/slurm-{job_id}.out"
    ).read_text()


@pytest.mark.parametrize(("nodes", "shown"), [("1", "1-1"), ("1-2", "1-2")])
def test_node_counts_are_kept_as_sbatch_keeps_them(api, cleanup_jobs, nodes, shown):
    # sbatch -N 1 / -N 1-2 give NumNodes=1-1 / 1-2; a range's maximum must not be lost.
    response = api("alice").post_json(
        "submit_job",
        {"partition": "norm", "script-body": "#!/bin/sh\ntrue\n", "nodes": nodes, "hold": True},
    )
    assert response.status_code == 200, response.text
    cleanup_jobs.append(response.json()["reason"])
    assert scontrol_job(response.json()["reason"])["NumNodes"] == shown


def test_both_memory_options_are_refused_and_create_no_job(api):
    before = slurm_job_ids()
    response = api("alice").post_json(
        "submit_job",
        {"partition": "norm", "script-body": "#!/bin/bash\ntrue\n",
         "mem-per-cpu": "100", "mem-per-node": "200"},
    )
    assert response.status_code == 400
    assert response.json()["reason"] == "conflicting_mem_specifications"
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)


SCRIPT = "#!/bin/bash\ntrue\n"

# (body, HTTP status, reason): one per code, each triggered by its own condition.
ERROR_CASES = [
    ("not json at all", 400, "postdata_parse_error"),
    ('["a", "list"]', 400, "postdata_parse_error"),
    ({"script-body": SCRIPT}, 400, "no_partition_given"),
    ({"script-body": SCRIPT, "partition": "restricted"}, 400, "bad_partition"),
    ({"script-body": SCRIPT, "partition": "nosuch"}, 400, "bad_partition"),
    ({"script-body": SCRIPT, "partition": "norm", "ntasks": 0}, 400, "bad_number_of_tasks"),
    ({"script-body": SCRIPT, "partition": "norm", "ntasks-per-core": 3}, 400,
     "bad_number_of_tasks"),
    ({"partition": "norm"}, 400, "no_script_given"),
    ({"script-body": "echo no shebang\n", "partition": "norm"}, 400, "bad_script"),
    ({"script-body": SCRIPT, "partition": "norm", "timelimit": "1:2:3:4"}, 400, "bad_timelimit"),
    ({"script-body": SCRIPT, "partition": "norm", "mem-per-cpu": "4Q"}, 400, "bad_memory_spec"),
    # More than the node has: Slurm 22.05 would refuse it but record a FAILED job.
    ({"script-body": SCRIPT, "partition": "norm", "mem-per-node": "999999"}, 400,
     "bad_memory_spec"),
    ({"script-body": SCRIPT, "partition": "norm", "mem-per-cpu": "3G", "cpus-per-task": 2}, 400,
     "bad_memory_spec"),
    ({"script-body": SCRIPT, "partition": "norm", "dependency": "garbage"}, 400,
     "bad_dependency"),
    ({"script-body": SCRIPT, "partition": "norm", "dependency": "afterok:99999999"}, 400,
     "bad_dependency"),
    ({"script-body": SCRIPT, "partition": "norm", "cpus-per-task": -1}, 400, "bad_cpus_per_task"),
    ({"script-body": SCRIPT, "partition": "norm", "queue": "x"}, 400, "unknown_parameter"),
    # Valid for hpcapi, refused by Slurm: over quick's MaxTime (EnforcePartLimits=ALL).
    ({"script-body": SCRIPT, "partition": "quick", "timelimit": "2:00:00"}, 422,
     "backend_query_job_submission_failed"),
    ({"script-body": SCRIPT, "partition": "norm", "account": "nosuchacct"}, 422,
     "backend_query_job_submission_failed"),
]


@pytest.mark.parametrize(("body", "status", "reason"), ERROR_CASES)
def test_each_error_code_through_apache(api, body, status, reason):
    before = slurm_job_ids()
    response = api("alice").post_json("submit_job", body)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    answer = response.json()
    assert answer["status"] == "call_failure"
    assert answer["reason"] == reason
    assert answer["message"]
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)


def test_slurm_message_is_passed_on(api):
    response = api("alice").post_json(
        "submit_job", {"script-body": SCRIPT, "partition": "quick", "timelimit": "2:00:00"}
    )
    assert "time limit" in response.json()["message"].lower()


def test_wrong_content_type(api):
    response = api("alice").session.post(
        f"{api('alice').url}/submit_job", data="partition=norm",
        headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30,
    )
    assert response.status_code == 415
    assert response.json()["reason"] == "wrong_content_type"


def test_dependency_on_another_users_job_is_refused(api, cleanup_jobs):
    bob = api("bob").post_json(
        "submit_job", {"partition": "norm", "script-body": "#!/bin/bash\nsleep 60\n"}
    )
    assert bob.status_code == 200, bob.text
    bob_job = bob.json()["reason"]
    cleanup_jobs.append(bob_job)
    before = slurm_job_ids()
    response = api("alice").post_json(
        "submit_job",
        {"partition": "norm", "script-body": SCRIPT, "dependency": f"afterok:{bob_job}"},
    )
    assert response.status_code == 400
    assert response.json()["reason"] == "bad_dependency"
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)


def test_dependency_on_own_job_is_accepted(api, cleanup_jobs):
    alice = api("alice")
    first = alice.post_json("submit_job", {"partition": "norm", "script-body": SCRIPT})
    first_id = first.json()["reason"]
    second = alice.post_json(
        "submit_job",
        {"partition": "norm", "script-body": SCRIPT, "dependency": f"afterok:{first_id}"},
    )
    assert second.status_code == 200, second.text
    cleanup_jobs.extend([first_id, second.json()["reason"]])
    assert scontrol_job(second.json()["reason"])["Dependency"] in (
        f"afterok:{first_id}(unfulfilled)", "(null)"
    )


def test_service_principal_submits_as_pipeline(api, cleanup_jobs):
    response = api("svc-pipeline").post_json(
        "submit_job", {"partition": "quick", "script-body": SCRIPT}
    )
    assert response.status_code == 200, response.text
    cleanup_jobs.append(response.json()["reason"])
    assert scontrol_job(response.json()["reason"])["UserId"].startswith("pipeline(")


def test_auth_errors_through_apache(stack, kinit):
    anonymous = curl(stack, "submit_job", None, "-H", "Content-Type: application/json",
                     "--data-binary", FRCE_EXAMPLE)
    assert anonymous.status == 401
    assert anonymous.json()["reason"] == "unauthenticated"
    admin = curl(stack, "submit_job", kinit("alice-admin", f"alice/admin@{REALM}"),
                 "-H", "Content-Type: application/json", "--data-binary", FRCE_EXAMPLE)
    assert admin.status == 403
    assert admin.json()["reason"] == "principal_not_allowed"


def _slurmrestd_pid(stack) -> int:
    pidfile = Path(stack["HPCAPI_DEV_SLURM_STATE"]) / "slurm" / "run" / "slurmrestd.pid"
    return int(pidfile.read_text().strip())


def test_backend_unavailable_then_recovers(stack, api):
    alice = api("alice")
    os.kill(_slurmrestd_pid(stack), signal.SIGTERM)
    try:
        time.sleep(1)
        before = slurm_job_ids()
        response = alice.post_json("submit_job", {"partition": "norm", "script-body": SCRIPT})
        assert response.status_code == 503
        assert response.json()["reason"] == "backend_unavailable"
        assert alice.get("query_status").json()["reason"] == "backend_unavailable"
        assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)
        # A load balancer checking liveness keeps this node; readiness says why it cannot serve.
        assert curl(stack, "health/live").status == 200
        not_ready = curl(stack, "health/ready")
        assert (not_ready.status, not_ready.json()["reason"]) == (503, "backend_unavailable")
    finally:
        subprocess.run([str(Path(__file__).parents[2] / "dev" / "stack"), "up"],
                       capture_output=True, check=True)
    assert alice.get("ping").status_code == 200


def test_backend_timeout_when_slurmrestd_hangs(stack, api):
    alice = api("alice")
    pid = _slurmrestd_pid(stack)
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = alice.get("query_status")
        waited = time.monotonic() - started
    finally:
        os.kill(pid, signal.SIGCONT)
    assert response.status_code == 504
    assert response.json()["reason"] == "backend_timeout"
    assert waited < 30
    assert alice.get("ping").status_code == 200
