"""GET /hpcapi/nodes through Apache with Kerberos: what Slurm itself says of the node."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.e2e


def scontrol_node(name: str) -> dict[str, str]:
    out = subprocess.run(["scontrol", "-o", "show", "node", name], capture_output=True,
                         text=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.split() if "=" in item)


def test_nodes_are_what_scontrol_shows_in_the_allowed_partitions_only(api):
    answer = api("alice").get("nodes")
    assert answer.status_code == 200, answer.text
    (node,) = answer.json()["nodes"]
    slurm = scontrol_node(node["name"])
    assert node["partitions"] == ["norm", "quick"]  # "restricted" is not hpcapi's
    assert "restricted" in slurm["Partitions"].split(",")
    assert node["cpus"] == int(slurm["CPUTot"])
    assert node["memory_mb"] == int(slurm["RealMemory"])
    assert node["gres"] == slurm["Gres"] == "gpu:2"
    listed = slurm["AvailableFeatures"]
    features = [] if listed == "(null)" else listed.split(",")
    assert node["features"] == features
    assert "+".join(node["state"]) in slurm["State"] or slurm["State"].startswith(node["state"][0])
    assert api("alice").post_json("nodes", {}).json()["reason"] == "method_not_allowed"
