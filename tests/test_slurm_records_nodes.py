"""Reading node capacity (memory, partitions) from each version's node records."""

from __future__ import annotations

import pytest

from hpcapi.model import Node
from hpcapi.slurm.endpoints import endpoints
from hpcapi.slurm.records import read_node


@pytest.mark.parametrize(
    ("version", "record", "expected"),
    [
        ("v0.0.38", {"name": "n1", "real_memory": 4000, "partitions": ["norm", "quick"]},
         Node("n1", 4000, ("norm", "quick"))),
        ("v0.0.44", {"name": "n2", "real_memory": 256000, "partitions": ["gpu"]},
         Node("n2", 256000, ("gpu",))),
        ("v0.0.40", {"name": "n3", "real_memory": 1, "partitions": "a,b"},
         Node("n3", 1, ("a", "b"))),
        ("v0.0.42", {"name": "n4"}, Node("n4", None, ())),
        ("v0.0.43", {"real_memory": 0, "partitions": None}, Node("", None, ())),
        ("v0.0.41", {"real_memory": True, "partitions": [1, "x"]}, Node("", None, ("x",))),
    ],
)
def test_read_node(version, record, expected):
    assert read_node(version, record) == expected


def test_nodes_endpoint_per_version():
    assert endpoints("v0.0.38").nodes.path() == "/slurm/v0.0.38/nodes"
    assert endpoints("v0.0.44").nodes.path() == "/slurm/v0.0.44/nodes/"
    assert endpoints("v0.0.44").nodes.query == frozenset()


def test_unsupported_version_is_refused():
    with pytest.raises(ValueError):
        read_node("v0.0.39", {})
