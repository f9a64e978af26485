"""Where a job's output is, from Slurm's record alone."""

from __future__ import annotations

from hpcapi.model import Job
from hpcapi.service.output import first_node, output_path


def job(**fields: object) -> Job:
    base: dict[str, object] = dict(
        job_id=7, user="alice", name="fit", partition="norm", state="RUNNING", reason=None,
        submit_time=None, start_time=None, end_time=None, exit_code=None, signal=None,
        source="live", working_directory="/home/alice/run", nodes="cn[01-04,07],gpu1")
    base.update(fields)
    return Job(**base)  # type: ignore[arg-type]


def test_first_node_of_a_node_list() -> None:
    assert first_node("cn[01-04,07],gpu1") == "cn01"
    assert first_node("gpu1,cn[01-02]") == "gpu1"
    assert first_node("localhost") == "localhost"
    assert first_node(None) == ""


def test_the_record_s_expansion_wins_else_the_pattern_is_expanded() -> None:
    assert output_path(job(output="slurm-%j.out", output_path="/x/slurm-7.out"),
                       "stdout") == "/x/slurm-7.out"
    assert output_path(job(output="%x-%j-%N.out"), "stdout") == "/home/alice/run/fit-7-cn01.out"
    assert output_path(job(output="/o/%A_%a.out", array_job_id=5, array_task_id=2),
                       "stdout") == "/o/5_2.out"
    assert output_path(job(output="/o/o.out", error="/o/%u.err"), "stderr") == "/o/alice.err"
    assert output_path(job(), "stdout") is None  # a record without a pattern
