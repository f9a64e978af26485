"""Slurm's output file patterns, expanded as slurmstepd expands them for a batch step."""

from __future__ import annotations

import pytest

from hpcapi.core.stdio import StdioJob, expand_stdio_path

JOB = StdioJob(job_id=128, job_name="fit", user="alice", work_dir="/home/alice/run",
               first_node="cn01")
ARRAY = StdioJob(job_id=131, job_name="sweep", user="alice", work_dir="/w/", first_node="cn02",
                 array_job_id=128, array_task_id=3)


@pytest.mark.parametrize(("pattern", "path"), [
    ("slurm-%j.out", "/home/alice/run/slurm-128.out"),
    ("/tmp/%x-%u-%N.log", "/tmp/fit-alice-cn01.log"),
    ("/o/job%4j.out", "/o/job0128.out"),
    ("/o/%J.%s.%n.%t", "/o/128.batch.0.0"),
    ("/o/%12j", "/o/0000000128"),  # the padding stops at 10
    ("/o/%5x", "/o/fit"),  # padding is for numbers only
    ("/o/100%%-%q-%3q", "/o/100%-%q-%3q"),  # %% is a %, an unknown one stays as written
    ("/o/a\\%j", "/o/a%j"),  # a backslash anywhere: nothing expanded
    ("/o/end%", "/o/end"),
    ("/o/%A_%a_%b", "/o/128_4294967294_4"),  # no array: %A is the job, %a NO_VAL
])  # fmt: skip
def test_batch_job_patterns(pattern: str, path: str) -> None:
    assert expand_stdio_path(pattern, JOB) == path


def test_array_task_patterns_and_the_working_directory() -> None:
    assert expand_stdio_path("slurm-%A_%a.out", ARRAY) == "/w/slurm-128_3.out"
    assert expand_stdio_path("%3a-%b", ARRAY) == "/w/003-3"
    assert expand_stdio_path("/o/%S", JOB) == "/o/%S"  # no SLUID (Slurm 22.05): not a wildcard
    with_sluid = StdioJob(1, "n", "u", "/", "h", sluid="sABC")
    assert expand_stdio_path("/o/%S", with_sluid) == "/o/sABC"
