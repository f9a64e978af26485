"""Contract tests: what hpcapi sends to and reads from slurmrestd, against each version's spec.

For every supported API version (the saved OpenAPI documents in ../shared/slurm-openapi/):
every submit body hpcapi builds validates against that version's submit-request schema and
uses only keys its schemas define; every path, method and query parameter hpcapi uses exists
in the spec; and the record readers accept any record the version's job schemas allow (for
v0.0.38, whose spec is loose, the real records recorded from the dev stack). The negative tests
show the checks do fail on a wrong body.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from hpcapi.core.slurmsyntax import (
    MAIL_TYPES,
    MAX_ARRAY_INDEX,
    MAX_MEMORY_MB,
    MAX_NODES,
    MAX_TIME_LIMIT_MINUTES,
    parse_dependency,
)
from hpcapi.core.submit import (
    MAX_PER_UNIT,
    MAX_TASKS,
    SubmitPolicy,
    SubmitRequest,
    parse_submit_request,
)
from hpcapi.model import BeginTime, Identity, Job, Partition
from hpcapi.slurm import submit_body
from hpcapi.slurm.endpoints import endpoints, history_query
from hpcapi.slurm.records import read_accounting_job, read_live_job, read_partition
from hpcapi.slurm.versions import SUPPORTED_API_VERSIONS
from tests.submit_bodies import build_submit_body, owner

SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "slurm-openapi"
DATA = Path(__file__).resolve().parent / "data" / "slurmrestd"
VERSIONS = list(SUPPORTED_API_VERSIONS)
NEW_VERSIONS = [v for v in VERSIONS if v != "v0.0.38"]

# Known mistakes in a spec, each confirmed against the real server: (version, path, parameter).
SPEC_ERRATA = {
    # NOTES.md "REST API facts": 22.05's spec lists `group`; its code reads only `groups`.
    ("v0.0.38", "/slurmdb/v0.0.38/jobs", "groups"),
}

# Submit body keys whose spec type the real server refuses: (version, key) -> the type sent.
BODY_ERRATA = {
    # NOTES.md "REST API facts": 22.05's spec says int64, but arg_set_data_begin() runs
    # parse_time() on a string and refuses an epoch ("Unable to parse time").
    ("v0.0.38", "begin_time"): str,
    # 22.05's spec says a [min, max] integer array, but arg_set_data_nodes() reads it wrongly
    # (NumNodes=1 whatever it holds); a "MIN-MAX" string is parsed as sbatch parses --nodes.
    ("v0.0.38", "nodes"): str,
    # 22.05's spec gives signal the pattern "(B:|)sig_num(@sig_time|)", placeholders taken
    # literally; arg_set_data_signal() runs get_signal_opts() on "[R|B]:<num>[@<time>]".
    ("v0.0.38", "signal"): str,
    # 22.05's spec gives exclusive the enum user, mcs, true, false; arg_set_data_exclusive()
    # runs sbatch's arg_set_exclusive(), which refuses "true" and "false" and takes
    # "exclusive" for --exclusive alone (measured on 22.05.8).
    ("v0.0.38", "exclusive"): str,
    # 22.05's spec says boolean for no_kill and wait_all_nodes; 22.05.8 refuses a boolean and
    # takes --no-kill's "set"/"off" and the integer 0 or 1.
    ("v0.0.38", "no_kill"): str,
    ("v0.0.38", "wait_all_nodes"): int,
    # 22.05's spec says integer for delay_boot, read as minutes; a time string keeps seconds.
    ("v0.0.38", "delay_boot"): str,
}

OWNER = owner("alice", 1001, "/home/alice", "/bin/bash")
PATH = "/usr/local/bin:/usr/bin:/bin"
LANG = "C.UTF-8"
SCRIPT = "#!/bin/bash\necho hi\n"


# --- the specs ----------------------------------------------------------------------------------


@cache
def spec(version: str) -> dict[str, Any]:
    """The saved slurmrestd OpenAPI document of ``version``."""
    path = SPEC_DIR / f"{version}.json"
    if not path.is_file():
        pytest.skip(f"slurmrestd OpenAPI specs not found at {SPEC_DIR}")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


_FORMATS = FormatChecker()


@_FORMATS.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@_FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


@cache
def validator(version: str, ref: str) -> Draft4Validator:
    """A validator for the spec schema at ``ref`` ("#/components/..."), $refs resolved."""
    # OpenAPI 3.0 schema objects are a JSON Schema draft 4 dialect; the whole document is one
    # resource so that every "#/components/schemas/..." reference resolves.
    uri = f"urn:hpcapi:slurmrestd-openapi:{version}"
    resource = Resource.from_contents(spec(version), default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    return Draft4Validator({"$ref": uri + ref}, registry=registry, format_checker=_FORMATS)


def schema_at(version: str, ref: str) -> dict[str, Any]:
    """The schema object a local ``$ref`` points to."""
    node: Any = spec(version)
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def resolve(version: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with a top-level $ref followed."""
    while "$ref" in schema:
        schema = schema_at(version, schema["$ref"])
    return schema


def submit_ref(version: str) -> str:
    """The $ref of the submit request body schema."""
    operation = spec(version)["paths"][endpoints(version).submit.template]["post"]
    ref: str = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return ref


def response_record_ref(version: str, path: str) -> str:
    """The $ref of one job record in the 200 answer of GET ``path``."""
    answer = spec(version)["paths"][path]["get"]["responses"]["200"]["content"]
    top = resolve(version, answer["application/json"]["schema"])
    jobs = resolve(version, top["properties"]["jobs"])
    ref: str = jobs["items"]["$ref"]
    return ref


# --- submit bodies ------------------------------------------------------------------------------


def check_submit_body(version: str, body: dict[str, Any]) -> None:
    """Assert ``body`` is a submit request the version's spec accepts, with no unknown key."""
    checked = {**body, "job": dict(body["job"])}
    for (erratum_version, key), kind in BODY_ERRATA.items():
        if erratum_version == version and key in checked["job"]:
            assert isinstance(checked["job"].pop(key), kind), f"{key} must be a {kind}"
    validator(version, submit_ref(version)).validate(checked)
    top = resolve(version, schema_at(version, submit_ref(version)))
    job_schema = resolve(version, top["properties"]["job"])
    # The schemas allow additional properties, but 22.05 answers an unknown key with 400 and
    # 25.11 silently drops it (REST-25.11.md): both must be caught here.
    assert set(body) <= set(top["properties"]), set(body) - set(top["properties"])
    unknown = set(body["job"]) - set(job_schema["properties"])
    assert not unknown, f"keys the {version} job schema does not define: {unknown}"
    # What the schemas leave optional but slurmrestd needs (NOTES.md, REST-25.11.md).
    script = body.get("script") if version == "v0.0.38" else body["job"].get("script")
    assert script, "no script"
    assert body["job"]["environment"], "an empty environment is refused"
    assert body["job"]["current_working_directory"].startswith("/")


def _full(**changes: Any) -> SubmitRequest:
    values: dict[str, Any] = {
        "script": SCRIPT, "sbatch_lines_removed": 1, "partition": "quick", "ntasks": 4,
        "ntasks_per_core": 1, "ntasks_per_node": 2, "cpus_per_task": 3, "mem_per_cpu_mb": 150,
        "dependency": parse_dependency("afterok:1:2"), "time_limit_minutes": 90,
        "job_name": "analysis", "account": "lab", "qos": "normal", "nodes": (1, 2),
        "array": "0-15:2%4", "constraint": "intel&(ib|opa)", "gres": "gpu:tesla:2,mps:100",
        "output": "out/%x-%A_%a.out", "error": "/home/alice/err-%j", "working_directory":
        "/scratch/alice", "mail_type": ("BEGIN", "END", "TIME_LIMIT_90"), "mail_user":
        "alice@example.org", "begin": BeginTime(delay_seconds=3600), "hold": True,
        "export": (("MY_VAR", "1"), ("PATH", "/opt/bin")),
        "submit_directory": "/home/alice/work", "script_path": "/home/alice/work/job.sh",
    }
    values.update(changes)
    return SubmitRequest(**values)


# Every field alone, every field together, both memory forms, and the limits.
_ONE_FIELD: list[dict[str, Any]] = [
    {"ntasks": 1}, {"ntasks_per_core": 1}, {"ntasks_per_node": 3}, {"cpus_per_task": 2},
    {"mem_per_cpu_mb": 1}, {"mem_per_node_mb": 1}, {"time_limit_minutes": 1},
    {"dependency": parse_dependency("singleton")}, {"job_name": "é ü \"quoted\""},
    {"account": "lab"}, {"qos": "high"}, {"nodes": (3, 3)}, {"nodes": (1, MAX_NODES)},
    {"array": "1,3,5"}, {"constraint": "[rack1*2&rack2*4]"}, {"gres": "gpu"},
    {"output": "/abs/o-%j"}, {"error": "rel-%j"}, {"working_directory": "/tmp/x"},
    *({"mail_type": (name,)} for name in MAIL_TYPES), {"mail_user": "bob"},
    {"begin": BeginTime(local_time=datetime(2030, 1, 2, 3, 4))},
    {"begin": BeginTime(delay_seconds=0)}, {"hold": False}, {"hold": True},
    {"export": (("A", ""),)}, {"export": ()}, {"script_path": "./job.sh"},
    {"submit_directory": "/tmp"},
]
EXAMPLES: list[SubmitRequest] = [
    SubmitRequest(SCRIPT, 0, "norm"),
    _full(),
    _full(mem_per_cpu_mb=None, mem_per_node_mb=4096),
    _full(ntasks=MAX_TASKS, ntasks_per_node=MAX_PER_UNIT, cpus_per_task=MAX_PER_UNIT,
          ntasks_per_core=2, mem_per_cpu_mb=MAX_MEMORY_MB,
          time_limit_minutes=MAX_TIME_LIMIT_MINUTES),
    *(SubmitRequest(SCRIPT, 0, "norm", **one) for one in _ONE_FIELD),
]
# And some through the request parser, as the web layer builds them.
_POLICY = SubmitPolicy(allowed_partitions=("norm", "quick"))
EXAMPLES += [
    parse_submit_request(body, _POLICY)
    for body in (
        {"script-body": "#!/bin/bash\n#SBATCH -p x\nsrun hostname\n", "partition": "norm",
         "ntasks": "8", "mem-per-node": "2G", "timelimit": "1-12:00:00",
         "dependency": "afterany:5?afternotok:6", "job-name": "pipeline step"},
        {"script-body": "#!/bin/sh\ntrue\n", "partition": "quick", "ntasks-per-core": "2",
         "ntasks-per-node": 4, "cpus-per-task": "2", "mem-per-cpu": "512M",
         "timelimit": "00:30:00"},
        {"script-body": "#!/bin/sh\ntrue\n", "partition": "norm", "account": "lab",
         "qos": "normal", "nodes": "2-4", "array": "0-99%10", "constraint": "a|b",
         "gres": "gres:gpu:1", "output": "o-%j", "error": "e-%j",
         "working-directory": "/home/alice/w", "mail-type": "all", "mail-user": "alice",
         "begin": "2031-06-01T12:00", "hold": True, "export": {"OMP_NUM_THREADS": "4"}},
        {"script-body": "#!/bin/sh\ntrue\n", "partition": "norm", "nodes": 2,
         "ntasks-per-node": 3, "mail-type": "NONE", "begin": "now+2days", "hold": False},
    )
]
# The sbatch options beyond those, each version given only what it can carry (submit_body
# refuses the rest, tests/test_core_sbatch_fields.py).
_MORE_FIELDS: dict[str, Any] = {
    "exclusive": True, "requeue": False, "signal": "RB:USR1@120", "open-mode": "truncate",
    "nice": -10, "time-min": "00:30:00", "timelimit": 60, "input": "in-%a", "mincpus": 2,
    "hint": "compute_bound", "gpus": "a100:2", "gpus-per-node": 1, "gpus-per-task": "1",
    "cpus-per-gpu": 2, "mem-per-gpu": "1G", "reservation": "maint", "licenses": "matlab:2",
    "wckey": "proj", "gres": "mps:10", "ntasks-per-socket": 2, "no-kill": True,
    "wait-all-nodes": 1, "delay-boot": "10:00", "prefer": "bigmem|fast", "mcs-label": "lab",
    "acctg-freq": "task=30,energy=60", "cpu-freq": "low-high:ondemand", "core-spec": 1,
    "deadline": "2031-06-02T12:00", "spread-job": True, "kill-on-invalid-dep": "no",
    "gres-flags": "enforce-binding", "distribution": "block:cyclic,pack",
    "bb": "capacity=1G", "cluster-constraint": "east", "container": "/srv/oci/bundle",
    "mem-bind": "verbose,map_mem:0*2", "priority": 10, "gpu-bind": "closest",
    "gpu-freq": "high,memory=low", "gpus-per-socket": 1,
}  # fmt: skip
_NODE_INFO: dict[str, Any] = {"extra-node-info": "1:*:1"}
_NEW_ONLY: dict[str, Any] = {"tmp": "2G", "nodelist": "cn[01-04],gpu1", "exclude": "cn07",
                             "overcommit": True, "contiguous": True, "reboot": True,
                             "use-min-nodes": True, "extra": "zone=a", "thread-spec": 2,
                             "network": "sn_all", "container-id": "c1", "batch": "fast",
                             "profile": "all", "switches": "2@10:00", "ntasks-per-gpu": 2}
_COUNTS: dict[str, Any] = {"threads-per-core": 2, "sockets-per-node": 1, "nodes": 2,
                           "oversubscribe": True}
MORE_EXAMPLES: dict[str, list[SubmitRequest]] = {
    version: [
        parse_submit_request({"script-body": SCRIPT, "partition": "norm,quick", **fields},
                             _POLICY)
        for fields in (
            # 22.05 ignores requeue false and refuses a B: signal (submit_body refuses both).
            {**_MORE_FIELDS, **({"requeue": True, "signal": "R:USR1@120"}
                                if version == "v0.0.38" else {})},
            {**_COUNTS, **({} if version == "v0.0.38" else _NEW_ONLY)},
            {**_COUNTS, **({"cores-per-socket": 4} if version in ("v0.0.38", "v0.0.40") else {})},
            {"exclusive": "topo" if version not in ("v0.0.38", "v0.0.40") else "user",
             "signal": "9", "hint": "multithread"},
            _NODE_INFO,
            {"exclusive": "mcs", "hint": "nomultithread,memory_bound"
             if version in ("v0.0.38", "v0.0.40") else "nomultithread"},
        )
    ]
    for version in VERSIONS
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("request_index", range(5))
def test_bodies_with_more_sbatch_options_match_the_spec(version: str, request_index: int) -> None:
    body = build_submit_body(MORE_EXAMPLES[version][request_index], OWNER, "/home/alice/work",
                             PATH, LANG, api_version=version, now=1.8e9)
    check_submit_body(version, body)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("request_index", range(len(EXAMPLES)))
def test_submit_bodies_match_the_spec(version: str, request_index: int) -> None:
    body = build_submit_body(EXAMPLES[request_index], OWNER, "/home/alice/work", PATH, LANG,
                             api_version=version, comment="hpcapi:key:digest", now=1.8e9)
    check_submit_body(version, body)


_REQUESTS = st.builds(
    SubmitRequest,
    script=st.sampled_from([SCRIPT, "#!/bin/sh", "#!/usr/bin/env python3\nprint('é')\n"]),
    sbatch_lines_removed=st.integers(0, 5),
    partition=st.sampled_from(["norm", "quick", "gpu-a100"]),
    ntasks=st.none() | st.integers(1, MAX_TASKS),
    ntasks_per_core=st.none() | st.sampled_from([1, 2]),
    ntasks_per_node=st.none() | st.integers(1, MAX_PER_UNIT),
    cpus_per_task=st.none() | st.integers(1, MAX_PER_UNIT),
    mem_per_cpu_mb=st.none() | st.integers(1, MAX_MEMORY_MB),
    mem_per_node_mb=st.none() | st.integers(1, MAX_MEMORY_MB),
    dependency=st.none() | st.sampled_from(
        ["afterok:1", "afterany:2:3", "singleton", "after:4+5?afternotok:6", "aftercorr:7_*"]
    ).map(parse_dependency),
    time_limit_minutes=st.none() | st.integers(1, MAX_TIME_LIMIT_MINUTES),
    job_name=st.none() | st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1),
    account=st.none() | st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True),
    qos=st.none() | st.from_regex(r"[A-Za-z0-9_.-]{1,64}", fullmatch=True),
    nodes=st.none() | st.tuples(st.integers(1, MAX_NODES), st.integers(1, MAX_NODES)).map(
        lambda pair: (min(pair), max(pair))
    ),
    array=st.none() | st.integers(0, MAX_ARRAY_INDEX).map("0-{}%4".format),
    constraint=st.none() | st.sampled_from(["intel", "a&b", "(a|b)&c", "[r1*2&r2*4]"]),
    gres=st.none() | st.sampled_from(["gpu", "gpu:1", "gpu:tesla:2,mps:100"]),
    output=st.none() | st.text(min_size=1).filter(lambda t: not set(t) & set("\0\n\r")),
    error=st.none() | st.text(min_size=1).filter(lambda t: not set(t) & set("\0\n\r")),
    working_directory=st.none() | st.from_regex(r"/[a-z0-9/._-]{0,30}", fullmatch=True),
    mail_type=st.none() | st.lists(
        st.sampled_from([name for name in MAIL_TYPES if name != "NONE"]), min_size=1, unique=True
    ).map(tuple) | st.just(("NONE",)),
    mail_user=st.none() | st.sampled_from(["alice", "a.b@example.org"]),
    begin=st.none()
    | st.integers(0, 365 * 86400).map(lambda s: BeginTime(delay_seconds=s))
    | st.datetimes(datetime(2000, 1, 2), datetime(2999, 12, 30)).map(
        lambda d: BeginTime(local_time=d.replace(microsecond=0))
    ),
    hold=st.none() | st.booleans(),
    export=st.none() | st.dictionaries(
        st.from_regex(r"[A-Z_][A-Z0-9_]{0,20}", fullmatch=True).filter(
            lambda n: n not in ("HOME", "USER", "LOGNAME") and not n.startswith("SLURM_")
        ),
        st.text(st.characters(exclude_characters="\0")),
        max_size=4,
    ).map(lambda d: tuple(d.items())),
).filter(lambda r: r.mem_per_cpu_mb is None or r.mem_per_node_mb is None).filter(
    # parse_submit_request refuses a derived task count above MAX_TASKS.
    lambda r: r.ntasks is not None or r.ntasks_per_node is None or r.nodes is None
    or r.nodes[0] != r.nodes[1] or r.nodes[0] * r.ntasks_per_node <= MAX_TASKS
)
_OWNERS = st.builds(
    owner,
    user=st.from_regex(r"[a-z_][a-z0-9_-]{0,15}", fullmatch=True),
    uid=st.integers(1000, 2**31),
    home=st.from_regex(r"/home/[a-z]{1,8}", fullmatch=True),
    shell=st.sampled_from(["/bin/bash", "/bin/sh", "/bin/zsh"]),
)
_DIRS = st.from_regex(r"/[a-z0-9/._-]{0,30}", fullmatch=True)


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(req=_REQUESTS, owner=_OWNERS, directory=_DIRS,
       comment=st.none() | st.text(max_size=80), now=st.floats(1e9, 4e9))
def test_every_generated_body_matches_the_spec(
    version: str, req: SubmitRequest, owner: Identity, directory: str, comment: str | None,
    now: float,
) -> None:
    body = build_submit_body(req, owner, directory, PATH, LANG, api_version=version,
                             comment=comment, now=now)
    check_submit_body(version, body)


# --- proof that the checks can fail -------------------------------------------------------------


def _good(version: str) -> dict[str, Any]:
    return build_submit_body(_full(), OWNER, "/home/alice", PATH, LANG, api_version=version)


def _with_job(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**body, "job": {**body["job"], **changes}}


@pytest.mark.parametrize(
    ("version", "breakage"),
    [
        ("v0.0.40", {"environment": {"PATH": "/bin"}}),  # 22.05's object form
        ("v0.0.40", {"time_limit": "01:00:00"}),
        ("v0.0.40", {"time_limit": 60}),  # a plain int where the schema wants the struct
        ("v0.0.44", {"memory_per_node": 1024}),
        ("v0.0.44", {"environment": "PATH=/bin"}),
        ("v0.0.44", {"tasks": "4"}),
        ("v0.0.44", {"time_limit": {"set": "yes", "number": 5}}),
        ("v0.0.44", {"tasks": 2**31}),  # beyond int32
        ("v0.0.38", {"environment": ["PATH=/bin"]}),
        ("v0.0.38", {"time_limit": {"set": True, "infinite": False, "number": 5}}),
        ("v0.0.38", {"tasks": "4"}),
        ("v0.0.38", {"hold": "true"}),
        ("v0.0.38", {"mail_type": ["BEGIN"]}),
        ("v0.0.40", {"nodes": [1, 2]}),  # 23.11: a string range
        ("v0.0.40", {"mail_type": "BEGIN,END"}),
        ("v0.0.44", {"mail_type": ["ALL"]}),  # no ALL in the flag list
        ("v0.0.44", {"mail_type": ["NONE"]}),
        ("v0.0.44", {"begin_time": 1800000000}),  # the schema wants the struct
        ("v0.0.44", {"hold": 1}),
        ("v0.0.44", {"comment": 5}),
        ("v0.0.38", {"open_mode": ["APPEND"]}),
        ("v0.0.38", {"memory_per_gpu": "1G"}),
        ("v0.0.44", {"open_mode": "append"}),  # 23.11+: a flag list
        ("v0.0.44", {"shared": ["exclusive"]}),
        ("v0.0.44", {"kill_warning_flags": ["B"]}),
        ("v0.0.44", {"time_minimum": 10}),
        ("v0.0.44", {"required_nodes": "cn1"}),
        ("v0.0.40", {"shared": ["topo"]}),  # topo only from 24.05 (v0.0.41)
        ("v0.0.44", {"requeue": "yes"}),
    ],
)
def test_spec_rejects_wrongly_typed_bodies(version: str, breakage: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        check_submit_body(version, _with_job(_good(version), **breakage))


def test_body_errata_are_still_errata_and_still_checked() -> None:
    for (version, key), kind in BODY_ERRATA.items():
        job_schema = resolve(version, resolve(version, schema_at(version, submit_ref(version)))[
            "properties"]["job"])
        declared = resolve(version, job_schema["properties"][key])
        if key == "signal":
            assert "sig_num" in declared["pattern"]
        elif key == "exclusive":
            assert "exclusive" not in declared["enum"]
        elif key in ("no_kill", "wait_all_nodes"):
            assert declared.get("type") == "boolean"
            continue
        else:
            assert declared.get("type") in ("integer", "array")
        assert kind is str
    # The erratum changes the expected type; it does not switch the check off.
    body = _good("v0.0.38")
    with pytest.raises(AssertionError, match="begin_time"):
        check_submit_body("v0.0.38", _with_job(body, begin_time=1800000000))
    with pytest.raises(AssertionError, match="nodes"):
        check_submit_body("v0.0.38", _with_job(body, nodes=[1, 2]))
    with pytest.raises(AssertionError, match="exclusive"):
        check_submit_body("v0.0.38", _with_job(body, exclusive=True))
    with pytest.raises(AssertionError, match="signal"):
        check_submit_body("v0.0.38", _with_job(body, signal=10))


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_keys_are_caught(version: str) -> None:
    for breakage in ({"mem": 100}, {"ntasks": 2}, {"cwd": "/tmp"}, {"job_name": "x"},
                     {"constraint": "a"}, {"export": ["A=1"]}, {"working_directory": "/x"},
                     {"tmp": 5}, {"hint": "nomultithread"}, {"gpus-per-node": "1"}):
        with pytest.raises(AssertionError, match="does not define"):
            check_submit_body(version, _with_job(_good(version), **breakage))


def test_v0_0_38_body_without_script_is_rejected() -> None:
    with pytest.raises(ValidationError):
        check_submit_body("v0.0.38", {"job": _good("v0.0.38")["job"]})


def test_a_builder_sending_an_environment_object_fails_the_contract(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The deliberate mistake of the issue: environment as an object for v0.0.40.
    monkeypatch.setattr(submit_body, "_render_environment", lambda version, env: dict(env))
    body = build_submit_body(_full(), OWNER, "/home/alice", PATH, LANG, api_version="v0.0.40")
    with pytest.raises(ValidationError, match="is not of type 'array'"):
        check_submit_body("v0.0.40", body)


def test_a_builder_sending_plain_ints_fails_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(submit_body, "_render_numbers", lambda version, fields: dict(fields))
    body = build_submit_body(_full(), OWNER, "/home/alice", PATH, LANG, api_version="v0.0.44")
    with pytest.raises(ValidationError, match="is not of type 'object'"):
        check_submit_body("v0.0.44", body)


# --- paths and query parameters -----------------------------------------------------------------


def _parameters(version: str, template: str, method: str) -> list[dict[str, Any]]:
    path_item = spec(version)["paths"][template]
    found = path_item.get("parameters", []) + path_item[method].get("parameters", [])
    return [resolve(version, p) for p in found]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_call_exists_in_the_spec(version: str) -> None:
    paths = spec(version)["paths"]
    for endpoint in endpoints(version).all():
        method = endpoint.method.lower()
        assert endpoint.template in paths, f"{endpoint.template} is not in the {version} spec"
        assert method in paths[endpoint.template], f"{endpoint.method} {endpoint.template}"
        declared = _parameters(version, endpoint.template, method)
        in_path = {p["name"] for p in declared if p.get("in") == "path"}
        assert set(re.findall(r"\{(\w+)\}", endpoint.template)) == in_path
        in_query = {p["name"] for p in declared if p.get("in") == "query"}
        for name in endpoint.query:
            if (version, endpoint.template, name) in SPEC_ERRATA:
                continue
            assert name in in_query, f"{version}: {endpoint.template} has no parameter {name}"


@pytest.mark.parametrize("version", VERSIONS)
def test_history_query_uses_only_declared_parameters(version: str) -> None:
    query = history_query(version, "alice", 1001, 86_400, 1.8e9)
    assert set(query) <= endpoints(version).accounting_jobs.query


def test_errata_are_still_errata() -> None:
    # If a spec is ever corrected, the exception must go.
    for version, template, name in SPEC_ERRATA:
        declared = {p["name"] for p in _parameters(version, template, "get")}
        assert name not in declared


@pytest.mark.parametrize("version", VERSIONS)
def test_a_wrong_parameter_would_be_caught(version: str) -> None:
    template = endpoints(version).accounting_jobs.template
    declared = {p["name"] for p in _parameters(version, template, "get")}
    assert "user" not in declared  # 25.11 ignores `user=` with a warning (REST-25.11.md)


# --- record readers -----------------------------------------------------------------------------


class ExampleGenerator:
    """Random instances of an OpenAPI 3.0 schema: all required keys, optional ones at random."""

    def __init__(self, version: str, rng: random.Random, keep: float, max_depth: int = 5):
        self.version = version
        self.rng = rng
        self.keep = keep
        self.max_depth = max_depth

    def example(self, schema: dict[str, Any], depth: int = 0) -> Any:
        """One instance of ``schema``."""
        schema = resolve(self.version, schema)
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            count = 0 if depth >= self.max_depth else self.rng.randint(0, 2)
            return [self.example(schema.get("items", {}), depth + 1) for _ in range(count)]
        return self._scalar(kind, schema.get("format"))

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        required = set(schema.get("required", []))
        found = {}
        for name, sub in schema.get("properties", {}).items():
            wanted = name in required or (depth < self.max_depth and self.rng.random() < self.keep)
            if wanted:
                found[name] = self.example(sub, depth + 1)
        # Slurm's specs list some nested keys as required by path ("nodes/count" in v0.0.41's
        # job_res): undeclared, so any value satisfies the schema.
        found.update({name: "" for name in required if name not in found})
        return found

    def _scalar(self, kind: str, fmt: str | None) -> Any:
        rng = self.rng
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "integer":
            bound = 2**31 - 1 if fmt == "int32" else 2**63 - 1
            return rng.choice([0, 1, -1, 3, 15, 768, 1795271354, bound, -bound - 1,
                               rng.randint(-bound - 1, bound)])
        if kind == "number":
            return rng.choice([0.0, 1.5, -2.0])
        return rng.choice(["", "None", "alice", "COMPLETED", "TERM", "x" * 40])


def _generated_records(version: str, path: str, seed: int) -> list[dict[str, Any]]:
    ref = response_record_ref(version, path)
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    schema = schema_at(version, ref)
    records = [
        ExampleGenerator(version, rng, keep).example(schema) for keep in (0.0, 0.3, 0.7, 1.0)
    ]
    for record in records:
        validator(version, ref).validate(record)  # the generator itself keeps to the schema
    return records


@pytest.mark.parametrize("version", NEW_VERSIONS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_live_reader_accepts_any_schema_valid_record(version: str, seed: int) -> None:
    path = endpoints(version).live_job.template
    for record in _generated_records(version, path, seed):
        job = read_live_job(version, record)
        _assert_well_formed(job, "live")


@pytest.mark.parametrize("version", NEW_VERSIONS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_accounting_reader_accepts_any_schema_valid_record(version: str, seed: int) -> None:
    path = endpoints(version).accounting_job.template
    for record in _generated_records(version, path, seed):
        job = read_accounting_job(version, record)
        _assert_well_formed(job, "accounting")


def _assert_well_formed(job: Job, source: str) -> None:
    assert isinstance(job, Job) and job.source == source
    assert isinstance(job.job_id, int) and job.job_id >= 0
    assert all(isinstance(v, str) for v in (job.user, job.name, job.partition, job.state))
    for value in (job.submit_time, job.start_time, job.end_time, job.exit_code, job.signal):
        assert value is None or (isinstance(value, int) and not isinstance(value, bool))
    for value in (job.submit_time, job.start_time, job.end_time):
        assert value is None or value > 0
    if not job.finished:
        # end_time may be there: a running job's expected end.
        assert (job.exit_code, job.signal) == (None, None)


@pytest.mark.parametrize("kind", ["live", "accounting"])
def test_v0_0_38_readers_accept_the_recorded_records(kind: str) -> None:
    document = json.loads((DATA / "v0.0.38" / f"{kind}.json").read_text())
    read = read_live_job if kind == "live" else read_accounting_job
    jobs = [read("v0.0.38", record) for record in document["jobs"]]
    for job in jobs:
        _assert_well_formed(job, kind)
    assert {job.job_id for job in jobs} == set(document["kinds"].values())


def partition_record_ref(version: str) -> str:
    """The $ref of one partition record in the 200 answer of the partitions call."""
    template = endpoints(version).partitions.template
    answer = spec(version)["paths"][template]["get"]["responses"]["200"]["content"]
    top = resolve(version, answer["application/json"]["schema"])
    ref: str = resolve(version, top["properties"]["partitions"])["items"]["$ref"]
    return ref


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_partition_reader_accepts_any_schema_valid_record(version: str, seed: int) -> None:
    ref = partition_record_ref(version)
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    for keep in (0.0, 0.3, 0.7, 1.0):
        record = ExampleGenerator(version, rng, keep).example(schema_at(version, ref))
        validator(version, ref).validate(record)
        partition = read_partition(version, record)
        assert isinstance(partition, Partition)
        assert isinstance(partition.name, str) and isinstance(partition.state, str)
        # v0.0.40+ records carry no partition flags: the default is unknown, never guessed.
        if version == "v0.0.38":
            assert isinstance(partition.default, bool)
        else:
            assert partition.default is None
        for value in (partition.max_time, partition.default_time, partition.max_nodes,
                      partition.total_nodes, partition.total_cpus):
            assert value is None or (isinstance(value, int) and 0 <= value < 0xFFFFFFFE)


def test_the_partition_fields_hpcapi_reads_are_in_the_record_schemas() -> None:
    flat = schema_at("v0.0.38", partition_record_ref("v0.0.38"))["properties"]
    assert {"name", "flags", "state", "max_time_limit", "default_time_limit",
            "maximum_nodes_per_job", "total_nodes", "total_cpus"} <= set(flat)
    for version in NEW_VERSIONS:
        nested = schema_at(version, partition_record_ref(version))["properties"]
        assert {"name", "partition", "maximums", "defaults", "nodes", "cpus"} <= set(nested)
        assert "flags" not in nested  # why ``default`` is always False from v0.0.40
        assert {"time", "nodes"} <= set(nested["maximums"]["properties"])
        assert "time" in nested["defaults"]["properties"]
        assert "total" in nested["nodes"]["properties"] and "total" in nested["cpus"]["properties"]
        assert "state" in nested["partition"]["properties"]


@pytest.mark.parametrize("version", NEW_VERSIONS)
def test_the_job_fields_hpcapi_reads_are_in_the_record_schemas(version: str) -> None:
    live = schema_at(version, response_record_ref(version, endpoints(version).live_job.template))
    accounting_template = endpoints(version).accounting_job.template
    db = schema_at(version, response_record_ref(version, accounting_template))
    assert {"job_id", "user_name", "name", "partition", "job_state", "state_reason",
            "submit_time", "start_time", "end_time", "exit_code"} <= set(live["properties"])
    assert {"job_id", "user", "name", "partition", "state", "time", "exit_code"} <= set(
        db["properties"]
    )
    assert {"submission", "start", "end", "limit"} <= set(db["properties"]["time"]["properties"])
    assert {"time_limit", "nodes", "standard_output", "standard_error",
            "current_working_directory", "comment", "array_job_id",
            "array_task_id"} <= set(live["properties"])
    assert {"nodes", "working_directory", "comment", "array"} <= set(db["properties"])
    assert "job" in db["properties"]["comment"]["properties"]
    assert {"job_id", "task_id"} <= set(db["properties"]["array"]["properties"])
    if version != "v0.0.40":  # Slurm 24.05 (v0.0.41) adds the output paths to accounting
        assert {"stdout", "stderr"} <= set(db["properties"])
