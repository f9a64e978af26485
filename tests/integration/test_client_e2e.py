"""The hpcapi CLI end to end, as people and service accounts use it, against the dev stack."""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.integration.conftest import REALM, scontrol_job

pytestmark = pytest.mark.e2e

HPCAPI = str(Path(sys.executable).parent / "hpcapi")


def run(env: dict[str, str], *args: str, timeout: float = 300, **kwargs):
    return subprocess.run([HPCAPI, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def test_sbatch_directives_become_job_options(kinit, tmp_path, cleanup_jobs):
    ticket = kinit("alice")
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\n#SBATCH --partition=quick\n#SBATCH --time=00:05:00\n"
                      "#SBATCH --ntasks=2\nsleep 1\n")
    home = pwd.getpwnam("alice").pw_dir
    result = run(ticket.env, "--json", "submit", str(script), cwd=home)
    assert result.returncode == 0, result.stderr
    job_id = json.loads(result.stdout)["result"]["jobid"]
    cleanup_jobs.append(job_id)
    job = scontrol_job(job_id)
    # As with sbatch: the job runs where the command ran, named after its script.
    assert (job["WorkDir"], job["JobName"]) == (home, "job.sh")
    assert job["Partition"] == "quick"
    assert job["TimeLimit"] == "00:05:00"
    assert job["NumTasks"] == "2"
    assert job["UserId"].startswith("alice(")


def test_script_arguments_reach_the_script_as_with_sbatch(stack, kinit, tmp_path, cleanup_jobs):
    ticket = kinit("alice")
    script = tmp_path / "args.sh"
    script.write_text("#!/bin/bash\n#SBATCH -p quick\n#SBATCH -t 1\n"
                      "#SBATCH -o /tmp/hpcapi-args-%j.out\nprintf '[%s]' \"$@\"\n")
    home = pwd.getpwnam("alice").pw_dir
    # The words after the script are its own, options too, as sbatch gives them.
    result = run(ticket.env, "--json", "submit", str(script), "a b", "-n", "2", cwd=home)
    if stack["HPCAPI_DEV_SLURM"] == "22.05":
        # slurmrestd 22.05 aborts on a job's argv: refused by name, nothing submitted.
        assert result.returncode == 1, result.stdout
        assert "script-arguments: this Slurm release's API (v0.0.38) cannot carry it" \
            in result.stderr
        return
    assert result.returncode == 0, result.stderr
    job_id = json.loads(result.stdout)["result"]["jobid"]
    cleanup_jobs.append(job_id)
    output = Path(f"/tmp/hpcapi-args-{job_id}.out")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "[2]" not in (
        output.read_text() if output.exists() else ""
    ):
        time.sleep(0.25)
    assert output.read_text() == "[a b][-n][2]"
    job = scontrol_job(job_id)
    assert (job["Command"], job["NumTasks"]) == (str(script), "1")
    output.unlink()


def _pipeline_env(stack) -> dict[str, str]:
    # Only the keytab: no ticket cache anywhere.
    return {**os.environ, **stack, "KRB5CCNAME": "FILE:/nonexistent/ccache"}


def _keytab_args(stack) -> list[str]:
    return ["--principal", f"svc-pipeline@{REALM}",
            "--keytab", f"{stack['HPCAPI_DEV_KEYTABS']}/svc-pipeline.keytab"]


def _pipeline_jobs(run_marker: str) -> dict[str, list[str]]:
    """Job ids of user pipeline by idempotency key (from the Slurm comment), for one run."""
    out = subprocess.run(["squeue", "-h", "--states=all", "-u", "pipeline", "-o", "%i|%k"],
                         capture_output=True, text=True, check=True).stdout
    jobs: dict[str, list[str]] = {}
    for line in out.splitlines():
        job_id, _, comment = line.partition("|")
        if run_marker in comment:
            key = comment.rsplit(":", 1)[0]
            jobs.setdefault(key, []).append(job_id)
    return jobs


def test_pipeline_submit_many_with_keytab_resumes_without_duplicates(stack, tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for index in range(50):
        (scripts / f"step-{index:02d}.sh").write_text(f"#!/bin/bash\necho step {index}\n")
    run_id = f"ci-{uuid.uuid4().hex[:8]}"
    env = _pipeline_env(stack)
    args = [*_keytab_args(stack), "submit-many", "--max-in-flight", "8", "--run-id", run_id,
            "-p", "quick", str(scripts)]
    # As with sbatch, the jobs run where the command runs: a directory the account owns.
    home = pwd.getpwnam("pipeline").pw_dir

    # First run: killed midway.
    first = subprocess.Popen([HPCAPI, *args], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=home)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_pipeline_jobs(run_id)) < 10:
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    submitted_before = len(_pipeline_jobs(run_id))
    assert 0 < submitted_before < 50, "the kill did not land midway"

    # Rerun with the same run id: completes the set, duplicates nothing.
    second = run(env, "--json", *args, cwd=home)
    assert second.returncode == 0, second.stderr
    jobs = _pipeline_jobs(run_id)
    assert len(jobs) == 50
    assert all(len(ids) == 1 for ids in jobs.values()), jobs

    job_ids = sorted(ids[0] for ids in jobs.values())
    waited = run(env, *_keytab_args(stack), "--json", "wait", "--timeout", "240", *job_ids,
                 timeout=300)
    assert waited.returncode == 0, waited.stdout + waited.stderr
    document = json.loads(waited.stdout)
    assert document["ok"] and set(document["result"]["jobs"]) == set(job_ids)
    states = {scontrol_job(job_id)["JobState"] for job_id in job_ids}
    assert states == {"COMPLETED"}
    assert all(scontrol_job(job_id)["UserId"].startswith("pipeline(") for job_id in job_ids)


def test_no_ticket_exits_3_with_the_kinit_message(stack):
    env = {**os.environ, **stack, "KRB5CCNAME": "FILE:/nonexistent/ccache"}
    result = run(env, "whoami")
    assert result.returncode == 3
    assert "no valid Kerberos ticket: run kinit, or pass --keytab" in result.stderr


def test_server_down_exits_4(kinit):
    ticket = kinit("alice")
    result = run(ticket.env, "--url", "https://localhost:8449/hpcapi", "whoami", timeout=120)
    assert result.returncode == 4, result.stderr


def test_disallowed_partition_exits_1_printing_the_code(kinit, tmp_path):
    ticket = kinit("alice")
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\ntrue\n")
    result = run(ticket.env, "submit", "-p", "restricted", str(script))
    assert result.returncode == 1
    assert "bad_partition" in result.stderr + result.stdout
