"""Tests for GET /hpcapi/nodes (hpcapi/web/nodes.py over hpcapi/service/nodes.py): the nodes of
the allowed partitions, read as the caller, from Slurm's recorded node records."""

from __future__ import annotations

import copy

import pytest
from conftest import REALM, AppFactory, FakeSlurmrestd
from flask.testing import FlaskClient

from hpcapi.slurm.transport import ConnectFailed
from tests.slurm_answers import V38, V44, paths, recorded, serve_v0044
from tests.web_helpers import assert_failure, assert_success

# The dev stack's one node as both releases recorded it; "restricted" is not allowed.
LOCALHOST = {"name": "localhost", "state": ["IDLE"], "partitions": ["norm", "quick"], "cpus": 2,
             "memory_mb": 4000, "features": [], "gres": "gpu:2", "reason": None}


def test_nodes_of_the_allowed_partitions_as_slurm_22_05_records_them(
        client: FlaskClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    answer = recorded(V38, "nodes")
    elsewhere = copy.deepcopy(answer["nodes"][0])
    elsewhere.update(name="hidden1", partitions=["restricted"])
    drained = copy.deepcopy(answer["nodes"][0])
    drained.update(name="cn7", state="mixed", state_flags=["DRAIN"], features="intel,ssd",
                   reason="bad DIMM")
    answer["nodes"] += [elsewhere, drained]
    fake_slurmrestd.answer_json("GET", paths(V38)["nodes"], answer)
    body = assert_success(client.get("/hpcapi/nodes", principal=f"bob@{REALM}"), "query_success")
    assert body["nodes"] == [LOCALHOST, {**LOCALHOST, "name": "cn7", "state": ["MIXED", "DRAIN"],
                                         "features": ["intel", "ssd"], "reason": "bad DIMM"}]
    (sent,) = fake_slurmrestd.requests_to(paths(V38)["nodes"])
    assert sent.headers["X-SLURM-USER-NAME"] == "bob"


def test_nodes_as_slurm_25_11_records_them(make_app: AppFactory,
                                           fake_slurmrestd: FakeSlurmrestd) -> None:
    serve_v0044(fake_slurmrestd)
    fake_slurmrestd.answer_json("GET", paths(V44)["nodes"], recorded(V44, "nodes"))
    body = assert_success(make_app().test_client().get("/hpcapi/nodes"), "query_success")
    assert body["nodes"] == [LOCALHOST]


def test_nodes_when_slurmrestd_is_down(client: FlaskClient,
                                       fake_slurmrestd: FakeSlurmrestd) -> None:
    fake_slurmrestd.fail("GET", paths(V38)["nodes"], ConnectFailed)
    assert_failure(client.get("/hpcapi/nodes"), 503, "backend_unavailable")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_nodes_are_read_only(client: FlaskClient, method: str) -> None:
    assert_failure(client.open("/hpcapi/nodes", method=method), 405, "method_not_allowed")
