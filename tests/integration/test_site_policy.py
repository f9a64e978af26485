"""Site policy ([submit] required_fields and defaults) on a server of its own over the dev
stack's Slurm: a job without a required field is refused by name and never reaches Slurm; the
defaults are what slurmctld records for a job that does not say."""

from __future__ import annotations

import pytest

from tests.integration.conftest import scontrol_job, slurm_job_ids

pytestmark = pytest.mark.integration

POLICY = "required_fields = timelimit, account\ndefaults =\n    timelimit = 7\n    qos = normal\n"
SCRIPT = "#!/bin/bash\ntrue\n"


def test_required_fields_and_defaults_reach_slurm(own_server, cleanup_jobs) -> None:
    server = own_server(POLICY)
    before = slurm_job_ids()
    status, refused = server.call("POST", "submit_job", {"partition": "quick",
                                                         "script-body": SCRIPT})
    assert (status, refused["reason"]) == (400, "required_field_missing")
    assert refused["message"] == "this site requires account on every job"
    assert slurm_job_ids() - before == set()

    status, answer = server.call("POST", "submit_job", {
        "partition": "quick", "script-body": SCRIPT, "account": "lab", "hold": True})
    assert status == 200, answer
    cleanup_jobs.append(answer["reason"])
    job = scontrol_job(answer["reason"])
    assert (job["TimeLimit"], job["QOS"], job["Account"]) == ("00:07:00", "normal", "lab")

    status, own = server.call("POST", "submit_job", {
        "partition": "quick", "script-body": SCRIPT, "account": "lab", "timelimit": "3",
        "hold": True})
    assert status == 200, own
    cleanup_jobs.append(own["reason"])
    assert scontrol_job(own["reason"])["TimeLimit"] == "00:03:00"
