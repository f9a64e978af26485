"""GET /hpcapi/metrics through Apache: no Kerberos, from the configured addresses, the sum of
both gunicorn workers, parsed as Prometheus parses it."""

from __future__ import annotations

import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e


def scrape(stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = subprocess.run(["curl", "-sS", "--fail", "--max-time", "30",
                          f"{stack['HPCAPI_URL']}/metrics"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "CURL_CA_BUNDLE": stack["CURL_CA_BUNDLE"]},
                         check=True).stdout
    samples = {}
    for family in text_string_to_metric_families(out):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_every_workers_requests_and_slurm_calls(stack, api):
    before = scrape(stack)
    alice = api("alice")
    # More requests than one worker's threads at once would take in turn: both workers serve.
    for _ in range(20):
        assert alice.get("ping").status_code == 200
    after = scrape(stack)
    requests = {"endpoint": "/hpcapi/ping", "method": "GET", "status": "200", "reason": "ok"}
    assert value(after, "hpcapi_requests_total", **requests) - value(
        before, "hpcapi_requests_total", **requests) == 20
    calls = {"operation": "GET /slurm/ping", "outcome": "ok"}
    assert value(after, "hpcapi_slurmrestd_calls_total", **calls) - value(
        before, "hpcapi_slurmrestd_calls_total", **calls) >= 20
    assert value(after, "hpcapi_request_duration_seconds_count", endpoint="/hpcapi/ping") > 0
    assert ("hpcapi_tokens_minted_total", ()) in after
    assert value(after, "hpcapi_requests_in_flight") >= 1  # this scrape
