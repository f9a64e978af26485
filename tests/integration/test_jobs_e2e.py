"""Beyond FRCE, end to end: job detail, cancel, partitions, dry run, idempotency, extra fields."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import requests

from tests.integration.conftest import REPO, scontrol_job, slurm_job_ids
from tests.integration.test_submit_e2e import wait_for_state

pytestmark = pytest.mark.e2e

SCRIPT = "#!/bin/bash\ntrue\n"
HELD = {"partition": "quick", "script-body": SCRIPT, "hold": True}


def _submit(api_user, body, **kwargs) -> str:
    response = api_user.post_json("submit_job", body, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["reason"]


def test_job_detail_of_a_failed_job(api, cleanup_jobs):
    alice = api("alice")
    job_id = _submit(alice, {"partition": "quick", "script-body": "#!/bin/bash\nexit 3\n",
                             "job-name": "fails"})
    cleanup_jobs.append(job_id)
    wait_for_state(job_id, {"FAILED"})
    response = alice.get(f"job/{job_id}")
    assert response.status_code == 200
    job = response.json()["job"]
    assert response.json()["reason"] == "job_found"
    assert job["job_id"] == job_id
    assert job["user"] == "alice"
    assert job["name"] == "fails"
    assert job["state"] == "FAILED"
    assert job["exit_code"] == 3
    assert job["partition"] == "quick"
    assert job["nodes"] == "localhost"
    assert job["time_limit"] == 5  # quick's DefaultTime
    assert job["output"] == f"/home/alice/slurm-{job_id}.out"
    assert job["error"] == f"/home/alice/slurm-{job_id}.out"
    assert job["working_directory"] == "/home/alice"
    assert job["submit"] and job["start"] and job["end"]


def test_other_users_job_and_unknown_job_answer_the_same_404(api, cleanup_jobs):
    bob_job = _submit(api("bob"), HELD)
    cleanup_jobs.append(bob_job)
    alice = api("alice")
    for job_id in (bob_job, "99999999", "not-a-number"):
        response = alice.get(f"job/{job_id}")
        assert response.status_code == 404, job_id
        assert response.json()["reason"] == "job_not_found"
    assert set(alice.get(f"job/{bob_job}").json()) == set(alice.get("job/99999999").json())


def test_alice_cannot_cancel_bobs_job(api, cleanup_jobs):
    bob_job = _submit(api("bob"), HELD)
    cleanup_jobs.append(bob_job)
    alice = api("alice")
    response = alice.session.delete(f"{alice.url}/job/{bob_job}", timeout=30)
    assert response.status_code == 404
    assert response.json()["reason"] == "job_not_found"
    frce = alice.post_json("cancel_job", {"jobid": bob_job})
    assert frce.status_code == 404
    assert scontrol_job(bob_job)["JobState"] == "PENDING"


def test_alice_cancels_her_pending_job(api, cleanup_jobs):
    alice = api("alice")
    job_id = _submit(alice, HELD)
    cleanup_jobs.append(job_id)
    response = alice.session.delete(f"{alice.url}/job/{job_id}", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "call_success", "jobid": job_id,
                               "reason": "cancel_success"}
    assert scontrol_job(job_id)["JobState"] == "CANCELLED"
    again = alice.session.delete(f"{alice.url}/job/{job_id}", timeout=30)
    assert again.status_code == 409
    assert again.json()["reason"] == "job_already_finished"


def test_frce_cancel_job(api, cleanup_jobs):
    alice = api("alice")
    job_id = _submit(alice, HELD)
    cleanup_jobs.append(job_id)
    response = alice.post_json("cancel_job", {"jobid": job_id})
    assert response.status_code == 200, response.text
    assert scontrol_job(job_id)["JobState"] == "CANCELLED"
    assert alice.post_json("cancel_job", {"job": job_id}).json()["reason"] == "unknown_parameter"


def test_partitions_lists_only_allowed_ones_with_limits(api):
    response = api("alice").get("partitions")
    assert response.status_code == 200
    parts = {p["name"]: p for p in response.json()["partitions"]}
    assert list(parts) == ["norm", "quick"]
    assert parts["norm"]["max_time"] == 1440
    assert parts["quick"]["max_time"] == 30
    assert parts["quick"]["default_time"] == 5
    assert parts["norm"]["state"] == "UP"
    assert parts["norm"]["total_nodes"] == 1


def test_partitions_name_the_default_partition(api):
    # The dev stack sets [submit] default_partition = norm, slurm.conf's Default=YES one: on
    # 25.11, whose slurmrestd gives no partition flags, only the site can say which it is.
    parts = {p["name"]: p for p in api("alice").get("partitions").json()["partitions"]}
    assert (parts["norm"]["default"], parts["quick"]["default"]) == (True, False)


def test_dry_run_creates_nothing_and_shows_no_secret(api):
    before = slurm_job_ids()
    response = api("alice").post_json(
        "submit_job?dry_run=1", {"partition": "norm", "script-body": SCRIPT, "ntasks": 2}
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["reason"] == "dry_run"
    assert answer["job"]["job"]["partition"] == "norm"
    text = response.text.lower()
    assert "token" not in text and "jwt" not in text and "canary" not in text
    assert slurm_job_ids() - before == set()  # no new job (old ones may leave slurmctld)
    bad = api("alice").post_json("submit_job?dry_run=1", {"partition": "restricted",
                                                          "script-body": SCRIPT})
    assert bad.json()["reason"] == "bad_partition"


def test_extra_fields_reach_slurm(api, cleanup_jobs):
    alice = api("alice")
    job_id = _submit(alice, {
        "partition": "quick", "script-body": "#!/bin/bash\necho \"$MY_VAR\"\n",
        "job-name": "extras", "account": "lab", "qos": "normal", "nodes": "1",
        "output": "/tmp/extras-%j.out", "error": "/tmp/extras-%j.err",
        "working-directory": "/tmp", "mail-type": "END,FAIL", "mail-user": "alice",
        "export": {"MY_VAR": "exported-value"}, "hold": True,
    })
    cleanup_jobs.append(job_id)
    job = scontrol_job(job_id)
    assert job["JobName"] == "extras"
    assert job["Account"] == "lab"
    assert job["QOS"] == "normal"
    assert job["WorkDir"] == "/tmp"
    assert job["StdOut"] == f"/tmp/extras-{job_id}.out"
    assert job["StdErr"] == f"/tmp/extras-{job_id}.err"
    assert job["Reason"] == "JobHeldUser"
    detail = alice.get(f"job/{job_id}").json()["job"]
    assert detail["output"] == f"/tmp/extras-{job_id}.out"
    subprocess.run(["scontrol", "release", job_id], check=True)
    wait_for_state(job_id, {"COMPLETED"})
    assert Path(f"/tmp/extras-{job_id}.out").read_text().strip() == "exported-value"
    assert Path(f"/tmp/extras-{job_id}.out").owner() == "alice"


def test_array_and_begin(api, cleanup_jobs):
    alice = api("alice")
    job_id = _submit(alice, {"partition": "quick", "script-body": SCRIPT, "array": "1-2",
                             "begin": "now+1hour"})
    cleanup_jobs.append(job_id)
    job = scontrol_job(job_id)
    assert job["ArrayTaskId"] == "1-2"
    eligible = datetime.fromisoformat(job["EligibleTime"]).timestamp()
    assert eligible > time.time() + 50 * 60


def _gunicorn_restart(stack) -> None:
    pidfile = Path(stack["HPCAPI_DEV_STATE"]) / "hpcapi" / "run" / "gunicorn.pid"
    pid = int(pidfile.read_text())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    subprocess.run([str(REPO / "dev" / "stack"), "up"], check=True, capture_output=True)


def _jobs_with_comment(comment: str) -> list[str]:
    out = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i %k"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if comment in line]


def test_idempotency_survives_a_restart(stack, api, cleanup_jobs):
    key = f"test-{uuid.uuid4()}"
    body = {"partition": "quick", "script-body": SCRIPT, "hold": True}
    first = api("alice").post_json("submit_job", body, headers={"Idempotency-Key": key})
    assert first.status_code == 200, first.text
    job_id = first.json()["reason"]
    cleanup_jobs.append(job_id)
    _gunicorn_restart(stack)
    second = api("alice").post_json("submit_job", body, headers={"Idempotency-Key": key})
    assert second.status_code == 200, second.text
    assert second.json()["reason"] == job_id
    assert second.json()["idempotent_replay"] is True
    assert _jobs_with_comment(key) == [job_id]

    changed = api("alice").post_json("submit_job", {**body, "job-name": "other"},
                                     headers={"Idempotency-Key": key})
    assert changed.status_code == 409
    assert changed.json()["reason"] == "idempotency_key_reused"
    bad = api("alice").post_json("submit_job", body, headers={"Idempotency-Key": "no spaces"})
    assert bad.status_code == 400
    assert bad.json()["reason"] == "bad_idempotency_key"
    assert _jobs_with_comment(key) == [job_id]


def test_two_hpcapi_hosts_give_the_same_answer(stack, cleanup_jobs):
    """A second hpcapi "host" (its own socket and journal, several_hosts = yes): the key of a
    job still pending is found through slurmctld, at once."""
    state = Path(stack["HPCAPI_DEV_STATE"])
    workdir = Path(tempfile.mkdtemp(prefix="hpcapi-second-", dir="/tmp"))
    workdir.chmod(0o755)
    (workdir / "state").mkdir()
    shutil.chown(workdir / "state", "hpcapi", "hpcapi")
    config = re.sub(r"(?m)^directory = .*$", f"directory = {workdir}/state\nseveral_hosts = yes",
                    (state / "hpcapi/etc/hpcapi.conf").read_text())
    assert f"directory = {workdir}/state" in config
    (workdir / "hpcapi.conf").write_text(config)
    shutil.chown(workdir / "hpcapi.conf", "root", "hpcapi")
    (workdir / "hpcapi.conf").chmod(0o640)
    venv = Path(os.environ.get("HPCAPI_DEV_ROOT", "/var/lib/hpcapi-dev")) / "venv"
    second = subprocess.Popen(
        [str(venv / "bin" / "hpcapi-server"), "serve", "-c",
         str(REPO / "systemd" / "gunicorn.conf.py"),
         "--bind", f"unix:{workdir}/second.sock", "--user", "hpcapi", "--group", "hpcapi",
         "--workers", "1"],
        env={"PATH": "/usr/bin:/bin", "HPCAPI_CONFIG": str(workdir / "hpcapi.conf")},
        cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        key = f"two-{uuid.uuid4()}"
        body = '{"partition": "quick", "script-body": "#!/bin/bash\\ntrue\\n", "hold": true}'
        answers = []
        for socket in (state / "hpcapi/sock/gunicorn.sock", workdir / "second.sock"):
            for _ in range(100):
                if socket.exists():
                    break
                time.sleep(0.1)
            out = subprocess.run(
                ["curl", "-sS", "--unix-socket", str(socket),
                 "-H", "X-Remote-User: alice@HPCAPI.TEST",
                 "-H", "Content-Type: application/json", "-H", f"Idempotency-Key: {key}",
                 "--data-binary", body, "http://localhost/hpcapi/submit_job"],
                capture_output=True, text=True, check=True,
            ).stdout
            answers.append(requests.models.complexjson.loads(out)["reason"])
        cleanup_jobs.extend(answers)
        assert answers[0] == answers[1]
        assert _jobs_with_comment(key) == [answers[0]]
    finally:
        second.terminate()
        second.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
