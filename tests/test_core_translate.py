"""Tests for hpcapi.core.translate: SubmitRequest -> slurmrestd submit body.

The v0.0.38 body is checked here in detail; every version against its OpenAPI spec is in
test_contract_slurm_openapi.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hpcapi.core.slurmsyntax import parse_dependency
from hpcapi.core.submit import SubmitRequest
from hpcapi.core.translate import (
    BASE_ENVIRONMENT_KEYS,
    SBATCH_22_05,
    SBATCH_25_11,
    build_environment,
)
from hpcapi.model import BeginTime, Identity
from tests.submit_bodies import build_submit_body, owner

# Positional: ruff S604 mistakes a field named "shell" for subprocess(shell=True).
OWNER = owner("alice", 1001, "/home/alice", "/bin/bash")
PATH = "/usr/local/bin:/usr/bin:/bin"
LANG = "C.UTF-8"
SCRIPT = "#!/bin/bash\necho hi\n"
MINIMAL = SubmitRequest(script=SCRIPT, sbatch_lines_removed=0, partition="norm")
FULL = SubmitRequest(
    script=SCRIPT,
    sbatch_lines_removed=2,
    partition="quick",
    ntasks=4,
    ntasks_per_core=1,
    ntasks_per_node=2,
    cpus_per_task=3,
    mem_per_cpu_mb=150,
    dependency=parse_dependency("afterok:1:2"),
    time_limit_minutes=90,
    job_name="analysis",
)
BASE_ENV = {
    "PATH": PATH,
    "HOME": "/home/alice",
    "USER": "alice",
    "LOGNAME": "alice",
    "SHELL": "/bin/bash",
    "LANG": LANG,
}

SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "slurm-openapi"
SUBMIT_PATH = "/slurm/v0.0.38/job/submit"


# --- build_environment ----------------------------------------------------------------------


def test_environment_of_minimal_request() -> None:
    assert build_environment(MINIMAL, OWNER, PATH, LANG) == {
        **BASE_ENV,
        "SLURM_JOB_NAME": "hpcapi",
    }


def test_environment_of_full_request_matches_sbatch() -> None:
    assert build_environment(FULL, OWNER, PATH, LANG, submit_dir="/home/alice/work") == {
        **BASE_ENV,
        "SLURM_SUBMIT_DIR": "/home/alice/work",
        "SLURM_JOB_NAME": "analysis",
        "SLURM_JOB_DEPENDENCY": "afterok:1:2",
        "SLURM_CPUS_PER_TASK": "3",
        "SLURM_NPROCS": "4",
        "SLURM_NTASKS": "4",
        "SLURM_NTASKS_PER_CORE": "1",
        "SLURM_NTASKS_PER_NODE": "2",
    }


def test_environment_derives_ntasks_from_ntasks_per_node_like_sbatch() -> None:
    request = SubmitRequest(SCRIPT, 0, "norm", ntasks_per_node=3)
    env = build_environment(request, OWNER, PATH, LANG)
    assert (env["SLURM_NTASKS"], env["SLURM_NPROCS"], env["SLURM_NTASKS_PER_NODE"]) == (
        "3",
        "3",
        "3",
    )


def test_environment_has_no_memory_or_time_variables() -> None:
    # slurmd sets SLURM_MEM_PER_CPU/NODE itself; sbatch sets no time-limit variable.
    request = SubmitRequest(SCRIPT, 0, "norm", mem_per_node_mb=256, time_limit_minutes=5)
    env = build_environment(request, OWNER, PATH, LANG)
    assert env == {**BASE_ENV, "SLURM_JOB_NAME": "hpcapi"}


def test_environment_ignores_the_server_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPCAPI_SECRET", "s3cret")
    monkeypatch.setenv("SLURM_JWT", "token")
    monkeypatch.setenv("PATH", "/server/bin")
    env = build_environment(FULL, OWNER, PATH, LANG)
    assert "s3cret" not in env.values() and "token" not in env.values()
    assert env["PATH"] == PATH
    assert "HPCAPI_SECRET" not in env and "SLURM_JWT" not in env


# --- build_submit_body ----------------------------------------------------------------------


def test_body_of_full_request() -> None:
    body = build_submit_body(FULL, OWNER, "/home/alice/work", PATH, LANG)
    assert body == {
        "script": SCRIPT,
        "job": {
            "partition": "quick",
            "tasks": 4,
            "tasks_per_core": 1,
            "tasks_per_node": 2,
            "cpus_per_task": 3,
            "memory_per_cpu": 150,
            "dependency": "afterok:1:2",
            "time_limit": 90,
            "name": "analysis",
            "current_working_directory": "/home/alice/work",
            "standard_output": "/home/alice/work/slurm-%j.out",
            "environment": build_environment(
                FULL, OWNER, PATH, LANG, submit_dir="/home/alice/work"
            ),
        },
    }


def test_body_of_minimal_request_has_only_given_keys() -> None:
    body = build_submit_body(MINIMAL, OWNER, "/home/alice", PATH, LANG)
    assert body == {
        "script": SCRIPT,
        "job": {
            "partition": "norm",
            "name": "hpcapi",
            "current_working_directory": "/home/alice",
            "standard_output": "/home/alice/slurm-%j.out",
            "environment": {
                **BASE_ENV,
                "SLURM_SUBMIT_DIR": "/home/alice",
                "SLURM_JOB_NAME": "hpcapi",
            },
        },
    }


def test_body_memory_per_node() -> None:
    job = build_submit_body(
        SubmitRequest(SCRIPT, 0, "norm", mem_per_node_mb=4096), OWNER, "/tmp/w", PATH, LANG
    )["job"]
    assert job["memory_per_node"] == 4096
    assert "memory_per_cpu" not in job


def test_body_sends_tasks_derived_from_ntasks_per_node() -> None:
    job = build_submit_body(
        SubmitRequest(SCRIPT, 0, "norm", ntasks_per_node=2), OWNER, "/w", PATH, LANG
    )["job"]
    assert (job["tasks"], job["tasks_per_node"]) == (2, 2)


def test_body_output_path_with_trailing_slash() -> None:
    job = build_submit_body(MINIMAL, OWNER, "/home/alice/", PATH, LANG)["job"]
    assert job["standard_output"] == "/home/alice/slurm-%j.out"


@pytest.mark.parametrize("version", ["v0.0.37", "v0.0.39", "v0.0.45", "0.0.38", "0.0.44", ""])
def test_body_refuses_other_api_versions(version: str) -> None:
    with pytest.raises(ValueError, match="unsupported slurmrestd API version"):
        build_submit_body(MINIMAL, OWNER, "/home/alice", PATH, LANG, api_version=version)


@pytest.mark.parametrize("version", ["v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44"])
def test_body_of_full_request_for_slurm_23_11_and_later(version: str) -> None:
    body = build_submit_body(FULL, OWNER, "/home/alice/work", PATH, LANG, api_version=version)
    env = build_environment(FULL, OWNER, PATH, LANG, submit_dir="/home/alice/work",
                            rules=SBATCH_25_11)
    newer = {"oom_kill_step": 0xFFFE} if version >= "v0.0.42" else {}
    assert body == {
        "job": {
            "script": SCRIPT,
            "partition": "quick",
            "tasks": 4,
            "tasks_per_core": 1,
            "tasks_per_node": 2,
            "cpus_per_task": 3,
            "memory_per_cpu": {"set": True, "infinite": False, "number": 150},
            "dependency": "afterok:1:2",
            "time_limit": {"set": True, "infinite": False, "number": 90},
            "name": "analysis",
            "current_working_directory": "/home/alice/work",
            "standard_output": "/home/alice/work/slurm-%j.out",
            "environment": [f"{key}={value}" for key, value in env.items()],
            "tres_per_task": "cpu=3",
            **newer,
        },
    }


def test_what_each_release_of_sbatch_adds_to_the_environment() -> None:
    old = build_environment(FULL, OWNER, PATH, LANG, rules=SBATCH_22_05)
    new = build_environment(FULL, OWNER, PATH, LANG, rules=SBATCH_25_11)
    assert old["SLURM_JOB_NAME"] == "analysis" and "SLURM_JOB_NAME" not in new
    assert "SLURM_TRES_PER_TASK" not in old and new["SLURM_TRES_PER_TASK"] == "cpu=3"
    assert "OMPI_MCA_plm_slurm_args" not in old
    assert new["OMPI_MCA_plm_slurm_args"] == new["PRTE_MCA_plm_slurm_args"] == "--external-launcher"
    assert (new["HYDRA_BOOTSTRAP"], new["I_MPI_HYDRA_BOOTSTRAP"]) == ("slurm", "slurm")
    # --ntasks-per-node alone: 22.05 derives the task count, 25.11 does not.
    per_node = SubmitRequest(SCRIPT, 0, "norm", ntasks_per_node=2)
    assert build_environment(per_node, OWNER, PATH, LANG, rules=SBATCH_22_05)["SLURM_NTASKS"] == "2"
    assert "SLURM_NTASKS" not in build_environment(per_node, OWNER, PATH, LANG, rules=SBATCH_25_11)
    # A bootstrap the job's environment already chooses is left alone, as env_array_append does.
    ssh = SubmitRequest(SCRIPT, 0, "norm", export=(("HYDRA_BOOTSTRAP", "ssh"),
                                                   ("OMPI_MCA_plm_slurm_args", "-x")))
    chosen = build_environment(ssh, OWNER, PATH, LANG, rules=SBATCH_25_11)
    assert chosen["HYDRA_BOOTSTRAP"] == "ssh" and "HYDRA_LAUNCHER_EXTRA_ARGS" not in chosen
    assert chosen["OMPI_MCA_plm_slurm_args"] == "-x"
    gpus = SubmitRequest(SCRIPT, 0, "norm", cpus_per_task=2, gpus_per_task="a100:1")
    job = build_submit_body(gpus, OWNER, "/w", PATH, LANG, api_version="v0.0.44")["job"]
    assert job["tres_per_task"] == "cpu=2,gres/gpu:a100=1"
    assert job["tres_bind"] == "gres/gpu:per_task:1"  # 25.11's implicit binding
    two = SubmitRequest(SCRIPT, 0, "norm", gpus_per_task="a100:1,v100:2", gpu_bind="closest")
    job = build_submit_body(two, OWNER, "/w", PATH, LANG, api_version="v0.0.44")["job"]
    assert job["tres_per_task"] == "gres/gpu:v100=2,gres/gpu:a100=1"
    assert job["tres_bind"] == "gres/gpu:closest"  # a given binding wins
    # Both releases copy the GPU options as given; only 22.05 has SLURM_GPUS_PER_TASK and
    # SLURM_GPU_BIND, 25.11 SLURM_TRES_BIND.
    gpu = SubmitRequest(SCRIPT, 0, "norm", gpus="a100:2", gpus_per_node="1", cpus_per_gpu=4,
                        mem_per_gpu_mb=1024, gpus_per_task="1", gpu_bind="closest")
    for rules in (SBATCH_22_05, SBATCH_25_11):
        env = build_environment(gpu, OWNER, PATH, LANG, rules=rules)
        assert (env["SLURM_GPUS"], env["SLURM_GPUS_PER_NODE"]) == ("a100:2", "1")
        assert (env["SLURM_CPUS_PER_GPU"], env["SLURM_MEM_PER_GPU"]) == ("4", "1024")
    old = build_environment(gpu, OWNER, PATH, LANG, rules=SBATCH_22_05)
    new = build_environment(gpu, OWNER, PATH, LANG, rules=SBATCH_25_11)
    assert (old["SLURM_GPUS_PER_TASK"], old["SLURM_GPU_BIND"]) == ("1", "closest")
    assert "SLURM_TRES_BIND" not in old and "SLURM_GPU_BIND" not in new
    assert new["SLURM_TRES_BIND"] == "gres/gpu:closest" and "SLURM_GPUS_PER_TASK" not in new


def test_body_memory_per_node_is_a_struct_from_v0_0_40() -> None:
    request = SubmitRequest(SCRIPT, 0, "norm", mem_per_node_mb=4096)
    job = build_submit_body(request, OWNER, "/w", PATH, LANG, api_version="v0.0.42")["job"]
    assert job["memory_per_node"] == {"set": True, "infinite": False, "number": 4096}
    assert "memory_per_cpu" not in job and "time_limit" not in job


def test_body_environment_list_keeps_values_with_equals_signs() -> None:
    odd = owner("alice", 1001, "/home/a=b", "/bin/bash")
    job = build_submit_body(MINIMAL, odd, "/w", PATH, LANG, api_version="v0.0.44")["job"]
    assert "HOME=/home/a=b" in job["environment"]


def test_body_refuses_relative_working_directory() -> None:
    with pytest.raises(ValueError, match="absolute"):
        build_submit_body(MINIMAL, OWNER, "home/alice", PATH, LANG)


# --- the fields beyond FRCE ---------------------------------------------------------------------

NEW_VERSIONS = ["v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44"]
NOW = 1_800_000_000.9
EXTRAS = SubmitRequest(
    SCRIPT, 0, "norm", account="lab", qos="high", nodes=(2, 4), array="0-15%2",
    constraint="intel&ib", gres="gpu:1,gpu:tesla:2", error="err-%j", mail_user="alice",
    mail_type=("BEGIN", "TIME_LIMIT_90"), begin=BeginTime(delay_seconds=3600), hold=True,
)  # fmt: skip


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local time zone is UTC for the test."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_v0_0_38_body_with_every_new_field(utc: None) -> None:
    job = build_submit_body(EXTRAS, OWNER, "/home/alice", PATH, LANG, comment="c1", now=NOW)["job"]
    # A relative begin counts from the submission, sent as the local time it resolves to.
    expected = {
        "account": "lab", "qos": "high", "nodes": "2-4", "array": "0-15%2",
        "constraints": "intel&ib", "gres": "gpu:1,gpu:tesla:2", "standard_error": "err-%j",
        "mail_user": "alice", "mail_type": "BEGIN,TIME_LIMIT_90",
        "begin_time": "2027-01-15T09:00:00",
        "hold": True, "comment": "c1",
    }  # fmt: skip
    assert {key: job[key] for key in expected} == expected


@pytest.mark.parametrize("version", NEW_VERSIONS)
def test_v0_0_4x_body_with_every_new_field(version: str) -> None:
    job = build_submit_body(
        EXTRAS, OWNER, "/home/alice", PATH, LANG, api_version=version, comment="c1", now=NOW
    )["job"]
    expected = {
        "account": "lab", "qos": "high", "nodes": "2-4", "array": "0-15%2",
        "constraints": "intel&ib", "tres_per_node": "gres/gpu:1,gres/gpu:tesla:2",
        "standard_error": "err-%j", "mail_user": "alice", "mail_type": ["BEGIN", "TIME=90%"],
        "begin_time": {"set": True, "infinite": False, "number": 1_800_003_600},
        "hold": True, "comment": "c1",
    }  # fmt: skip
    assert {key: job[key] for key in expected} == expected
    assert "gres" not in job


def test_nothing_new_is_sent_unless_asked() -> None:
    for version in ["v0.0.38", *NEW_VERSIONS]:
        job = build_submit_body(MINIMAL, OWNER, "/w", PATH, LANG, api_version=version)["job"]
        assert not set(job) & {"account", "qos", "nodes", "array", "constraints", "gres",
                               "tres_per_node", "standard_error", "mail_type", "mail_user",
                               "begin_time", "hold", "comment"}


@pytest.mark.parametrize(("nodes", "text"), [((3, 3), "3"), ((1, 8), "1-8")])
@pytest.mark.parametrize("version", ["v0.0.38", *NEW_VERSIONS])
def test_nodes_are_sbatchs_string_in_every_version(
    nodes: tuple[int, int], text: str, version: str
) -> None:
    # 22.05's documented [min, max] array gives NumNodes=1 whatever it holds (measured).
    request = SubmitRequest(SCRIPT, 0, "norm", nodes=nodes)
    job = build_submit_body(request, OWNER, "/w", PATH, LANG, api_version=version)["job"]
    assert job["nodes"] == text


@pytest.mark.parametrize(
    ("types", "v38", "v4x"),
    [
        (("ALL",), "ALL",
         ["INVALID_DEPENDENCY", "BEGIN", "END", "FAIL", "REQUEUE", "STAGE_OUT"]),
        (("END", "ALL"), "END,ALL",
         ["END", "INVALID_DEPENDENCY", "BEGIN", "FAIL", "REQUEUE", "STAGE_OUT"]),
        (("TIME_LIMIT", "TIME_LIMIT_80", "TIME_LIMIT_50", "INVALID_DEPEND", "ARRAY_TASKS"),
         "TIME_LIMIT,TIME_LIMIT_80,TIME_LIMIT_50,INVALID_DEPEND,ARRAY_TASKS",
         ["TIME=100%", "TIME=80%", "TIME=50%", "INVALID_DEPENDENCY", "ARRAY_TASKS"]),
        (("NONE",), "NONE", None),
    ],
)
def test_mail_type_per_version(types: tuple[str, ...], v38: str, v4x: list[str] | None) -> None:
    request = SubmitRequest(SCRIPT, 0, "norm", mail_type=types)
    assert build_submit_body(request, OWNER, "/w", PATH, LANG)["job"]["mail_type"] == v38
    job = build_submit_body(request, OWNER, "/w", PATH, LANG, api_version="v0.0.41")["job"]
    assert job.get("mail_type") == v4x


def test_absolute_begin_per_version() -> None:
    when = datetime(2030, 1, 2, 3, 4, 5)
    request = SubmitRequest(SCRIPT, 0, "norm", begin=BeginTime(local_time=when))
    job = build_submit_body(request, OWNER, "/w", PATH, LANG, now=NOW)["job"]
    assert job["begin_time"] == "2030-01-02T03:04:05"
    job = build_submit_body(request, OWNER, "/w", PATH, LANG, api_version="v0.0.43", now=NOW)["job"]
    # The wall-clock time in this host's time zone, as sbatch reads it.
    assert job["begin_time"]["number"] == int(when.timestamp())


@pytest.mark.parametrize("version", ["v0.0.38", *NEW_VERSIONS])
def test_working_directory_replaces_the_configured_one(version: str) -> None:
    request = SubmitRequest(SCRIPT, 0, "norm", working_directory="/scratch/alice/run/")
    body = build_submit_body(request, OWNER, "/home/alice", PATH, LANG, api_version=version)
    job = body["job"]
    assert job["current_working_directory"] == "/scratch/alice/run/"
    assert job["standard_output"] == "/scratch/alice/run/slurm-%j.out"
    # SLURM_SUBMIT_DIR stays where the submission came from, as with sbatch --chdir.
    environment = job["environment"]
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    assert environment["SLURM_SUBMIT_DIR"] == "/home/alice"


@pytest.mark.parametrize("version", ["v0.0.38", *NEW_VERSIONS])
def test_submit_directory_and_script_path_are_sbatchs(version: str) -> None:
    request = SubmitRequest(SCRIPT, 0, "norm", working_directory="/scratch/run",
                            submit_directory="/home/alice/work",
                            script_path="/home/alice/work/job.sh")
    job = build_submit_body(request, OWNER, "/home/alice", PATH, LANG, api_version=version)["job"]
    environment = job["environment"]
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    assert environment["SLURM_SUBMIT_DIR"] == "/home/alice/work"
    assert job["current_working_directory"] == "/scratch/run"
    if version == "v0.0.38":
        assert "argv" not in job  # slurmrestd 22.05 aborts on argv
    else:
        assert job["argv"] == ["/home/alice/work/job.sh"]  # slurmctld's Command is argv[0]
    plain = build_submit_body(MINIMAL, OWNER, "/home/alice", PATH, LANG, api_version=version)
    assert "argv" not in plain["job"]  # as sbatch reading stdin: Command is "(null)"


@pytest.mark.parametrize("version", ["v0.0.38", "v0.0.44"])
def test_output_pattern_replaces_the_default(version: str) -> None:
    request = SubmitRequest(SCRIPT, 0, "norm", output="logs/%x-%j.out")
    job = build_submit_body(request, OWNER, "/home/alice", PATH, LANG, api_version=version)["job"]
    assert job["standard_output"] == "logs/%x-%j.out"
    assert "standard_error" not in job


def test_export_is_merged_into_the_environment() -> None:
    request = SubmitRequest(SCRIPT, 0, "norm", ntasks=2,
                            export=(("MY_VAR", "a=b"), ("PATH", "/opt/bin"), ("LANG", "de_DE")))
    env = build_environment(request, OWNER, PATH, LANG)
    assert env["MY_VAR"] == "a=b"
    assert (env["PATH"], env["LANG"]) == ("/opt/bin", "de_DE")
    assert (env["HOME"], env["USER"], env["LOGNAME"]) == ("/home/alice", "alice", "alice")
    assert env["SLURM_NTASKS"] == "2"
    job = build_submit_body(request, OWNER, "/w", PATH, LANG, api_version="v0.0.44")["job"]
    assert "MY_VAR=a=b" in job["environment"]


def test_ntasks_derived_from_nodes_times_ntasks_per_node() -> None:
    fixed = SubmitRequest(SCRIPT, 0, "norm", nodes=(3, 3), ntasks_per_node=2)
    assert build_environment(fixed, OWNER, PATH, LANG)["SLURM_NTASKS"] == "6"
    assert build_submit_body(fixed, OWNER, "/w", PATH, LANG)["job"]["tasks"] == 6
    # With a node range, sbatch derives no task count.
    ranged = SubmitRequest(SCRIPT, 0, "norm", nodes=(2, 4), ntasks_per_node=2)
    assert "SLURM_NTASKS" not in build_environment(ranged, OWNER, PATH, LANG)
    assert "tasks" not in build_submit_body(ranged, OWNER, "/w", PATH, LANG)["job"]


@pytest.mark.parametrize("version", ["v0.0.38", *NEW_VERSIONS])
def test_comment_is_set_in_every_version(version: str) -> None:
    job = build_submit_body(MINIMAL, OWNER, "/w", PATH, LANG, api_version=version,
                            comment="hpcapi:k:d")["job"]
    assert job["comment"] == "hpcapi:k:d"


# --- against the slurmrestd v0.0.38 OpenAPI spec ------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The saved slurmrestd v0.0.38 OpenAPI document."""
    path = SPEC_DIR / "v0.0.38.json"
    if not path.is_file():
        pytest.skip(f"slurmrestd OpenAPI specs not found at {SPEC_DIR}")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.fixture(scope="module")
def submit_validator(spec: dict[str, Any]) -> Draft202012Validator:
    """A validator for the request body of POST /slurm/v0.0.38/job/submit, $refs resolved."""
    uri = "urn:hpcapi:slurmrestd-openapi:v0.0.38"
    registry: Registry[Any] = Registry().with_resource(
        uri, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    body_schema = spec["paths"][SUBMIT_PATH]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    return Draft202012Validator({"$ref": uri + body_schema["$ref"]}, registry=registry)


def test_spec_validator_rejects_broken_bodies(submit_validator: Draft202012Validator) -> None:
    good = build_submit_body(FULL, OWNER, "/home/alice", PATH, LANG)
    submit_validator.validate(good)
    for broken in (
        {"job": good["job"]},  # no script
        {**good, "job": {**good["job"], "tasks": "4"}},
        {**good, "job": {**good["job"], "environment": ["PATH=/bin"]}},
        {**good, "job": {**good["job"], "environment": None}},
    ):
        with pytest.raises(ValidationError):
            submit_validator.validate(broken)


_DEPENDENCIES = st.sampled_from(
    ["afterok:1", "afterany:2:3", "singleton", "after:4+5?afternotok:6", "aftercorr:7_*"]
).map(parse_dependency)
_REQUESTS = st.builds(
    SubmitRequest,
    script=st.sampled_from([SCRIPT, "#!/bin/sh", "#!/usr/bin/env python3\nprint('é')\n"]),
    sbatch_lines_removed=st.integers(0, 5),
    partition=st.sampled_from(["norm", "quick", "gpu-a100"]),
    ntasks=st.none() | st.integers(1, 100_000),
    ntasks_per_core=st.none() | st.sampled_from([1, 2]),
    ntasks_per_node=st.none() | st.integers(1, 0xFFFD),
    cpus_per_task=st.none() | st.integers(1, 0xFFFD),
    mem_per_cpu_mb=st.none() | st.integers(1, 1024**3),
    mem_per_node_mb=st.none() | st.integers(1, 1024**3),
    dependency=st.none() | _DEPENDENCIES,
    time_limit_minutes=st.none() | st.integers(1, 525_600),
    job_name=st.none() | st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1),
).filter(lambda r: r.mem_per_cpu_mb is None or r.mem_per_node_mb is None)
_OWNERS = st.builds(
    owner,
    user=st.from_regex(r"[a-z_][a-z0-9_-]{0,15}", fullmatch=True),
    uid=st.integers(1000, 2**31),
    home=st.from_regex(r"/home/[a-z]{1,8}", fullmatch=True),
    shell=st.sampled_from(["/bin/bash", "/bin/sh", "/bin/zsh"]),
)
_DIRS = st.from_regex(r"/[a-z0-9/._-]{0,30}", fullmatch=True)


@settings(max_examples=200)
@given(_REQUESTS, _OWNERS, _DIRS)
def test_every_body_validates_against_the_v0_0_38_spec(
    submit_validator: Draft202012Validator,
    spec: dict[str, Any],
    req: SubmitRequest,
    owner: Identity,
    directory: str,
) -> None:
    body = build_submit_body(req, owner, directory, PATH, LANG)
    submit_validator.validate(body)
    # The spec has no additionalProperties: false, so check the keys ourselves too:
    # slurmrestd answers an unknown key with 400 'Unknown key "..."'.
    job_properties = spec["components"]["schemas"]["v0.0.38_job_properties"]["properties"]
    assert set(body) == {"script", "job"}
    assert set(body["job"]) <= set(job_properties)
    assert body["job"]["environment"], "slurmrestd 22.05 refuses an empty environment"
    assert all(isinstance(v, str) for v in body["job"]["environment"].values())


@settings(max_examples=200)
@given(_REQUESTS, _OWNERS, st.none() | _DIRS)
def test_environment_keys_are_base_or_slurm(
    req: SubmitRequest, owner: Identity, submit_dir: str | None
) -> None:
    env = build_environment(req, owner, PATH, LANG, submit_dir=submit_dir)
    assert BASE_ENVIRONMENT_KEYS <= set(env)
    assert all(key in BASE_ENVIRONMENT_KEYS or key.startswith("SLURM_") for key in env)
    assert (env.get("SLURM_CPUS_PER_TASK") is None) == (req.cpus_per_task is None)
    assert env["SLURM_JOB_NAME"] == (req.job_name or "hpcapi")
