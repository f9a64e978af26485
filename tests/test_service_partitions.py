"""Tests for the allowed partitions without Flask (hpcapi/service/partitions.py)."""

from __future__ import annotations

from conftest import FakeSlurmrestd, make_server_config

from hpcapi.service.partitions import allowed_partitions
from tests.slurm_answers import ALICE, V44, make_services, paths, recorded, serve_v0044


def test_allowed_partitions_in_the_configured_order(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_v0044(fake_slurmrestd)
    fake_slurmrestd.answer_json("GET", paths(V44)["partitions"], recorded(V44, "partitions"))
    config = make_server_config(allowed_partitions=("quick", "gpu", "norm"))
    found = allowed_partitions(make_services(slurm_transport, config), ALICE)
    # restricted is Slurm's but not allowed; gpu is allowed but not Slurm's.
    assert [part.name for part in found] == ["quick", "norm"]
    assert [part.max_time for part in found] == [30, 1440]
    (sent,) = fake_slurmrestd.requests_to(paths(V44)["partitions"])
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"


def test_the_configured_default_partition_is_the_default(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_v0044(fake_slurmrestd)
    fake_slurmrestd.answer_json("GET", paths(V44)["partitions"], recorded(V44, "partitions"))
    unset = make_server_config(allowed_partitions=("norm", "quick"))
    found = allowed_partitions(make_services(slurm_transport, unset), ALICE)
    assert [part.default for part in found] == [None, None]  # 25.11 does not say
    config = make_server_config(allowed_partitions=("norm", "quick"), default_partition="quick")
    found = allowed_partitions(make_services(slurm_transport, config), ALICE)
    assert [(part.name, part.default) for part in found] == [("norm", False), ("quick", True)]
