"""Tests for GET /hpcapi/partitions (hpcapi/web/partitions.py over hpcapi/service/partitions.py):
only the allowed partitions, in the configured order, with Slurm's limits."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AppFactory, FakeSlurmrestd, make_server_config
from flask.testing import FlaskClient

from hpcapi.slurm.transport import ConnectFailed, ReadTimedOut, TransportError
from tests.slurm_answers import V38, V44, errors_answer, paths, recorded, serve_v0044
from tests.web_helpers import assert_failure, assert_success

PARTITIONS = paths(V38)["partitions"]
INFINITE = -1  # Slurm 22.05 reports INFINITE limits as -1


def partition_v0038(name: str, *, default: bool = False, state: str = "UP",
                    max_time: int = 1440, default_time: int | None = 60,
                    max_nodes: int = INFINITE, nodes: int = 1, cpus: int = 2) -> dict[str, Any]:
    """A partition record as Slurm 22.05's slurmrestd gives it (_dump_part(), v0.0.38)."""
    return {
        "flags": ["default"] if default else [],
        "preemption_mode": ["disabled"],
        "allowed_allocation_nodes": "",
        "allowed_accounts": "",
        "allowed_groups": "",
        "allowed_qos": "",
        "alternative": "",
        "billing_weights": "",
        "default_memory_per_cpu": 0,
        "default_time_limit": default_time,
        "denied_accounts": "",
        "denied_qos": "",
        "preemption_grace_time": 0,
        "maximum_cpus_per_node": INFINITE,
        "maximum_memory_per_node": 0,
        "maximum_nodes_per_job": max_nodes,
        "max_time_limit": max_time,
        "min nodes per job": 0,
        "name": name,
        "nodes": "localhost",
        "over_time_limit": None,
        "priority_job_factor": 1,
        "priority_tier": 1,
        "qos": "",
        "state": state,
        "total_cpus": cpus,
        "total_nodes": nodes,
        "tres": "cpu=2,mem=4000M,node=1,billing=2",
    }


@pytest.fixture
def slurm(fake_slurmrestd: FakeSlurmrestd) -> FakeSlurmrestd:
    fake_slurmrestd.answer_json("GET", PARTITIONS, {"partitions": [
        partition_v0038("restricted", max_time=480),
        partition_v0038("quick", max_time=30, default_time=5, state="DOWN"),
        partition_v0038("norm", default=True, max_nodes=4, nodes=8, cpus=64),
    ], "errors": []})
    return fake_slurmrestd


def test_only_allowed_partitions_in_the_configured_order(
    make_app: AppFactory, slurm: FakeSlurmrestd
) -> None:
    client = make_app(make_server_config(allowed_partitions=("quick", "norm"))).test_client()
    body = assert_success(client.get("/hpcapi/partitions"), "query_success")
    assert body == {"status": "call_success", "partitions": [
        {"name": "quick", "default": False, "state": "DOWN", "max_time": 30,
         "default_time": 5, "max_nodes": None, "total_nodes": 1, "total_cpus": 2},
        {"name": "norm", "default": True, "state": "UP", "max_time": 1440,
         "default_time": 60, "max_nodes": 4, "total_nodes": 8, "total_cpus": 64},
    ], "reason": "query_success"}
    (sent,) = slurm.requests_to(PARTITIONS)
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"


def test_the_default_configured_order(client: FlaskClient, slurm: FakeSlurmrestd) -> None:
    body = assert_success(client.get("/hpcapi/partitions"), "query_success")
    assert [(p["name"], p["default"]) for p in body["partitions"]] == [("norm", True),
                                                                       ("quick", False)]


def test_an_allowed_partition_slurm_does_not_know_is_left_out(
    make_app: AppFactory, slurm: FakeSlurmrestd
) -> None:
    config = make_server_config(allowed_partitions=("gpu", "norm"))
    body = assert_success(make_app(config).test_client().get("/hpcapi/partitions"),
                          "query_success")
    assert [p["name"] for p in body["partitions"]] == ["norm"]


def test_no_partition_slurm_lists(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", PARTITIONS, {"partitions": [], "errors": []})
    body = assert_success(client.get("/hpcapi/partitions"), "query_success")
    assert body["partitions"] == []


def test_odd_entries_are_skipped(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", PARTITIONS, {
        "partitions": ["garbage", None, partition_v0038("quick")], "errors": []})
    body = assert_success(client.get("/hpcapi/partitions"), "query_success")
    assert [p["name"] for p in body["partitions"]] == ["quick"]


@pytest.mark.parametrize(("exc", "status", "reason"), [
    (ConnectFailed, 503, "backend_unavailable"),
    (ReadTimedOut, 504, "backend_timeout"),
])
def test_transport_failures(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd,
                            exc: type[TransportError], status: int,
                            reason: str) -> None:
    fake_slurmrestd.fail("GET", PARTITIONS, exc)
    assert_failure(client.get("/hpcapi/partitions"), status, reason)


def test_slurm_refusing_is_502(client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.answer_json("GET", PARTITIONS, errors_answer(2002, "Access denied"), 500)
    body = assert_failure(client.get("/hpcapi/partitions"), 502, "backend_query_failed")
    assert "Access denied" in body["message"]


def test_partitions_takes_only_get(client: FlaskClient) -> None:
    assert_failure(client.post("/hpcapi/partitions", json={}), 405, "method_not_allowed")


# --- Slurm 25.11 (v0.0.44) ----------------------------------------------------------------------


def test_v0_0_44_recorded_partitions_have_no_default(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_v0044(fake_slurmrestd)
    fake_slurmrestd.answer_json("GET", paths(V44)["partitions"], recorded(V44, "partitions"))
    client = make_app(make_server_config(allowed_partitions=("quick", "norm"))).test_client()
    body = assert_success(client.get("/hpcapi/partitions"), "query_success")
    assert body["partitions"] == [
        {"name": "quick", "default": None, "state": "UP", "max_time": 30, "default_time": 5,
         "max_nodes": None, "total_nodes": 1, "total_cpus": 2},
        {"name": "norm", "default": None, "state": "UP", "max_time": 1440, "default_time": 60,
         "max_nodes": None, "total_nodes": 1, "total_cpus": 2},
    ]
