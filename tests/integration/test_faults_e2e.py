"""Faults under load, short version (dev/soak runs the long one): kill -9 one part at a time.

For each part of the stack, while 4 clients submit held jobs and query through Apache: kill -9
it, keep loading for 3 s, bring it back (dev/stack up; the gunicorn master replaces a killed
worker itself), keep loading. Every attempt must end in success or a named error (never a 500,
never a hang into the client's time-out); hpcapi must serve a new client normally within 5 s of
the part's return; no idempotency key may have two jobs and every accepted job must exist in
slurmctld and accounting; a submit whose answer was lost, resent with its key, makes one job.
See bench/faults.py. Every job made is cancelled.

The caller holds /tmp/hpcapi-stack.lock (the stack is shared): these tests run dev/stack up.
"""

from __future__ import annotations

import pytest

from bench import faults

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("component", faults.COMPONENTS)
def test_fault_under_load(stack: dict[str, str], component: str, tmp_path, capsys) -> None:
    report = faults.run_fault(component, clients=4, before=2.0, outage=3.0, after=2.0,
                              log=tmp_path / "stack-up.log")
    with capsys.disabled():
        print("\n" + faults.format_report(report))
    f, jobs = report.figures, report.jobs
    assert report.stack_up_rc == 0, (tmp_path / "stack-up.log").read_text()[-2000:]
    assert f.server_500 == 0, f.named_errors
    assert not f.unnamed, f.unnamed
    assert f.hangs == 0
    # Valid held jobs: Slurm refusing one (422) during an outage is an outage misreported as
    # a final refusal, which a client does not retry.
    assert not any(label.startswith("422 ") for label in f.named_errors), f.named_errors
    assert report.recovery_s <= faults.RECOVERY_LIMIT, report.probe_answer
    assert jobs.duplicates == 0, jobs
    assert not jobs.lost, jobs
    assert not jobs.not_in_accounting and not jobs.twice_in_accounting, jobs
    assert not jobs.inconsistent_keys and not jobs.wrong_owner, jobs
    assert report.lost_answer.get("ok"), report.lost_answer
