"""The idempotency look-up asks slurmdbd only for jobs named like the one being submitted."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.conftest import FakeSlurmrestd

SCRIPT = "#!/bin/bash\ntrue\n"
DB_JOBS = "/slurmdb/v0.0.38/jobs"


@pytest.fixture
def slurm(fake_slurmrestd: FakeSlurmrestd) -> FakeSlurmrestd:
    """slurmctld and slurmdbd know no job; a submission gets job 42."""
    fake_slurmrestd.answer_json("GET", "/slurm/v0.0.38/jobs", {"jobs": [], "errors": []})
    fake_slurmrestd.answer_json("GET", DB_JOBS, {"jobs": [], "errors": []})
    fake_slurmrestd.answer_json("POST", "/slurm/v0.0.38/job/submit", {"job_id": 42, "errors": []})
    return fake_slurmrestd


def _db_query(slurm: FakeSlurmrestd) -> dict[str, list[str]]:
    (request,) = slurm.requests_to(DB_JOBS)
    return parse_qs(urlsplit(request.url or "").query)


@pytest.mark.parametrize(("given", "asked"), [({"job-name": "sample-7"}, "sample-7"),
                                               ({}, "hpcapi")])
def test_accounting_is_asked_for_the_jobs_name_only(
    client: FlaskClient, slurm: FakeSlurmrestd, given: dict[str, str], asked: str
) -> None:
    response = client.post("/hpcapi/submit_job", headers={"Idempotency-Key": "k-1"},
                           json={"partition": "norm", "script-body": SCRIPT, **given})
    assert response.status_code == 200, response.get_data(as_text=True)
    query = _db_query(slurm)
    assert query["job_name"] == [asked]
    assert query["groups"] and query["submit_time"]  # still the user's window


@pytest.mark.parametrize("name", ["two words", "a,b", "o'brien"])
def test_a_name_slurmdbd_cannot_be_asked_for_means_the_whole_window(
    client: FlaskClient, slurm: FakeSlurmrestd, name: str
) -> None:
    response = client.post("/hpcapi/submit_job", headers={"Idempotency-Key": "k-2"},
                           json={"partition": "norm", "script-body": SCRIPT, "job-name": name})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "job_name" not in _db_query(slurm)


def test_without_a_key_nothing_is_looked_up(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    response = client.post("/hpcapi/submit_job", json={"partition": "norm", "script-body": SCRIPT})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert slurm.requests_to(DB_JOBS) == []
