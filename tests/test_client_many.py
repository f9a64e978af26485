"""Tests for submit-many: bounded in-flight submissions and resumable idempotency keys."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import pytest

import hpcapi.client.config
from hpcapi.client import cli
from hpcapi.client.api import HpcapiClient, RetryPolicy
from hpcapi.client.many import idempotency_key, scripts_from_lines, submit_many
from hpcapi.client.transport import TransportFailure
from tests.client_fakes import FakeTransport, Recorded


class FakeSubmitServer:
    """submit_job with the server's idempotency semantics, one job id per new key."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.jobs: dict[str, tuple[bytes, str]] = {}
        self.next_id = 100
        self.lock = threading.Lock()
        self.fail_on = fail_on

    def __call__(self, request: Recorded) -> tuple[int, Any]:
        key = request.headers["Idempotency-Key"]
        if self.fail_on and self.fail_on in request.json()["script-body"]:
            return 400, {"status": "call_failure", "reason": "bad_script", "message": "no"}
        with self.lock:
            if key in self.jobs:
                body, job_id = self.jobs[key]
                if body != request.body:
                    return 409, {"status": "call_failure", "reason": "idempotency_key_reused",
                                 "message": "different body"}
                return 200, {"status": "call_success", "jobid": job_id, "reason": job_id,
                             "sbatch_lines_removed": 0, "idempotent_replay": True}
            self.next_id += 1
            self.jobs[key] = (request.body, str(self.next_id))
            return 200, {"status": "call_success", "jobid": str(self.next_id),
                         "sbatch_lines_removed": 0, "reason": str(self.next_id)}


@pytest.fixture(autouse=True)
def no_site_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hpcapi.client.config, "SITE_CONFIG_PATH", tmp_path / "none.conf")


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    directory = tmp_path / "scripts"
    directory.mkdir()
    for index in range(12):
        (directory / f"step{index:02d}.sh").write_text(
            f"#!/bin/bash\n#SBATCH -p norm -J step{index}\necho {index}\n"
        )
    (directory / ".hidden").write_text("not a script")
    return directory


def run_cli(
    fake: FakeTransport, tmp_path: Path, *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def make(config: Any, creds: Any) -> HpcapiClient:
        return HpcapiClient(str(config.url), transport=fake,
                            sleep=lambda _: None, retry=RetryPolicy(attempts=2, base_delay=0))

    code = cli.main(list(argv), credential_factory=lambda p, k: "creds", client_factory=make,
                    environ={"HOME": str(tmp_path), "HPCAPI_URL": "https://h.test/hpcapi"},
                    stdin=io.StringIO(stdin), stdout=out, stderr=err, sleep=lambda _: None)
    return code, out.getvalue(), err.getvalue()


def test_at_most_n_in_flight(scripts: Path, tmp_path: Path) -> None:
    fake = FakeTransport(delay=0.02)
    fake.handle("POST", "submit_job", FakeSubmitServer())
    code, out, _ = run_cli(fake, tmp_path, "--json", "submit-many", str(scripts), "-j", "3",
                           "--run-id", "r1")
    assert code == 0
    results = json.loads(out)["result"]["results"]
    assert len(results) == 12 and all(r["jobid"] for r in results)
    assert fake.max_in_flight == 3
    assert len({r["key"] for r in results}) == 12


def test_rerun_with_the_same_run_id_makes_no_duplicates(scripts: Path, tmp_path: Path) -> None:
    server = FakeSubmitServer()
    fake = FakeTransport()
    fake.handle("POST", "submit_job", server)
    first = run_cli(fake, tmp_path, "--json", "submit-many", str(scripts), "--run-id", "r2")
    second = run_cli(fake, tmp_path, "--json", "submit-many", str(scripts), "--run-id", "r2")
    assert first[0] == second[0] == 0
    one, two = json.loads(first[1])["result"]["results"], json.loads(second[1])["result"]["results"]
    assert [r["key"] for r in one] == [r["key"] for r in two]
    assert [r["jobid"] for r in one] == [r["jobid"] for r in two]
    assert all(r["replayed"] for r in two)
    assert len(server.jobs) == 12


def test_resume_after_a_crash_submits_only_the_rest(scripts: Path) -> None:
    server = FakeSubmitServer()
    paths = sorted(scripts.glob("*.sh"))
    calls: list[str] = []

    def submit(content: str, key: str) -> tuple[str, bool]:
        calls.append(key)
        fake = Recorded("POST", "submit_job", {}, {"Idempotency-Key": key}, content.encode())
        _, body = server(fake)
        return body["jobid"], bool(body.get("idempotent_replay"))

    submit_many(paths[:5], submit, "crash", max_in_flight=2)  # the run "crashed" after 5
    results = submit_many(paths, submit, "crash", max_in_flight=2)
    assert sum(r.replayed for r in results) == 5
    assert len(server.jobs) == 12


def test_keys_are_deterministic_and_valid() -> None:
    key = idempotency_key("run.1", "/p/a.sh", "#!/bin/sh\n")
    assert key == idempotency_key("run.1", "/p/a.sh", "#!/bin/sh\n")
    assert key != idempotency_key("run.2", "/p/a.sh", "#!/bin/sh\n")
    assert key != idempotency_key("run.1", "/p/a.sh", "#!/bin/bash\n")
    assert len(key) <= 128


def test_list_on_stdin_and_per_script_errors(scripts: Path, tmp_path: Path) -> None:
    fake = FakeTransport()
    fake.handle("POST", "submit_job", FakeSubmitServer(fail_on="echo 3"))
    listing = f"# pipeline\n{scripts / 'step01.sh'}\n\n{scripts / 'step03.sh'}\n/missing.sh\n"
    code, out, err = run_cli(fake, tmp_path, "submit-many", "--run-id", "r3", stdin=listing)
    assert code == 1
    assert "bad_script" in out and "unreadable" in out and "submitted" in out
    assert "run r3: 1 of 3 scripts have a job" in err


def test_unreachable_stops_the_run(scripts: Path, tmp_path: Path) -> None:
    fake = FakeTransport()
    fake.add("POST", "submit_job", TransportFailure("Connection refused"))
    code, _, err = run_cli(fake, tmp_path, "submit-many", str(scripts), "-j", "1",
                           "--run-id", "r4")
    assert code == 4
    assert len(fake.calls("POST")) < 12


def test_stdin_list_parsing() -> None:
    assert [str(p) for p in scripts_from_lines(["a.sh\n", "  \n", "# c\n", " b.sh "])] == [
        "a.sh", "b.sh"]
