"""Tests for GET /hpcapi/metrics (hpcapi/web/metrics.py): what is counted, read back in
Prometheus's text format as a scraper reads it."""

from __future__ import annotations

import pytest
from conftest import REALM, FakeSlurmrestd
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from hpcapi.slurm.client import operation_name
from hpcapi.slurm.transport import ConnectFailed
from tests.slurm_answers import V38, paths

ALICE = f"alice@{REALM}"


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/hpcapi/metrics", principal=None)
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_requests_are_counted_by_endpoint_method_status_and_reason(
        client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    before = scrape(client)
    client.get("/hpcapi/whoami", principal=ALICE)
    client.get("/hpcapi/job/abc", principal=ALICE)  # no job id: not found, Slurm not asked
    client.get("/hpcapi/job/0", principal=ALICE)
    after = scrape(client)
    assert delta(before, after, "hpcapi_requests_total", endpoint="/hpcapi/whoami",
                 method="GET", status="200", reason="ok") == 1
    # One series for every job id: the route, never the path.
    assert delta(before, after, "hpcapi_requests_total", endpoint="/hpcapi/job/<job_id>",
                 method="GET", status="404", reason="job_not_found") == 2
    assert delta(before, after, "hpcapi_request_duration_seconds_count",
                 endpoint="/hpcapi/whoami") == 1
    assert after[("hpcapi_requests_in_flight", ())] == 1  # the scrape itself


def test_slurmrestd_calls_and_tokens_are_counted(
        client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    before = scrape(client)
    client.get("/hpcapi/ping", principal=ALICE)
    fake_slurmrestd.fail("GET", paths(V38)["ping"], ConnectFailed)
    client.get("/hpcapi/ping", principal=ALICE)
    after = scrape(client)
    ping = operation_name("GET", paths(V38)["ping"])
    assert ping == "GET /slurm/ping"
    assert delta(before, after, "hpcapi_slurmrestd_calls_total", operation=ping,
                 outcome="ok") == 1
    assert delta(before, after, "hpcapi_slurmrestd_calls_total", operation=ping,
                 outcome="unavailable") == 1
    assert delta(before, after, "hpcapi_slurmrestd_call_duration_seconds_count",
                 operation=ping) == 2


@pytest.mark.parametrize(("method", "path", "name"), [
    ("GET", "/slurm/v0.0.38/job/42", "GET /slurm/job/{id}"),
    ("DELETE", "/slurm/v0.0.44/job/42_3", "DELETE /slurm/job/{id}"),
    ("GET", "/slurmdb/v0.0.44/jobs/?users=alice", "GET /slurmdb/jobs"),
    ("GET", "/openapi/v3", "GET /openapi/v3"),
])
def test_operation_names_have_no_ids_or_versions(method: str, path: str, name: str) -> None:
    assert operation_name(method, path) == name
