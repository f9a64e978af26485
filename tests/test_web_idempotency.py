"""The idempotency look-up asks slurmdbd only for jobs named like the one being submitted.

That look-up is made for a first keyed attempt only when hpcapi is one of several hosts
(``[state] several_hosts``): with one, its journal knows every key sent to it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AppFactory, FakeSlurmrestd, make_server_config
from flask.testing import FlaskClient

SCRIPT = "#!/bin/bash\ntrue\n"
DB_JOBS = "/slurmdb/v0.0.38/jobs"


@pytest.fixture
def slurm(fake_slurmrestd: FakeSlurmrestd) -> FakeSlurmrestd:
    """slurmctld and slurmdbd know no job; a submission gets job 42."""
    fake_slurmrestd.answer_json("GET", "/slurm/v0.0.38/jobs", {"jobs": [], "errors": []})
    fake_slurmrestd.answer_json("GET", DB_JOBS, {"jobs": [], "errors": []})
    fake_slurmrestd.answer_json("POST", "/slurm/v0.0.38/job/submit", {"job_id": 42, "errors": []})
    return fake_slurmrestd


@pytest.fixture
def client(make_app: AppFactory) -> FlaskClient:
    """A client (as alice) of an hpcapi that is one of several hosts: a key its journal does
    not know is searched for in Slurm."""
    return make_app(make_server_config(several_hosts=True)).test_client()


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
