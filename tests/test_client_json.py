"""Tests for the one --json document of every ``hpcapi`` command (hpcapi.client.render, cli)
and for docs/cli-json.md, whose examples must have the shape the commands print."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hpcapi.client.config
from hpcapi.client import cli, render
from hpcapi.client.api import HpcapiClient, RetryPolicy
from hpcapi.client.auth import NO_TICKET_MESSAGE
from hpcapi.client.errors import CredentialsError, UnreachableError
from hpcapi.errors import ErrorCode
from tests.client_fakes import FakeTransport

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "cli-json.md"
URL = "https://hpcapi.test/hpcapi"
ENVELOPE_KEYS = ["hpcapi_cli_json", "command", "ok", "exit_code", "result", "error", "warnings"]
ERROR_KEYS = ["reason", "message", "http_status", "details"]


def job(job_id: str, state: str, exit_code: int | None = None) -> tuple[int, dict[str, Any]]:
    return (200, {"status": "call_success", "reason": "job_found", "job": {
        "job_id": job_id, "user": "alice", "name": "x", "partition": "norm", "state": state,
        "exit_code": exit_code}})


def refused(status: int, reason: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    return (status, {"status": "call_failure", "reason": reason, "message": "no", **extra})


@pytest.fixture(autouse=True)
def no_site_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hpcapi.client.config, "SITE_CONFIG_PATH", tmp_path / "none.conf")


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def fake() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def run(fake: FakeTransport, tmp_path: Path) -> Run:
    def go(*argv: str, creds: Callable[..., Any] | None = None, stdin: str = "",
           url: str | None = URL) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        env = {"HOME": str(tmp_path / "home"), **({"HPCAPI_URL": url} if url else {})}

        def make(config: Any, credential: Any) -> HpcapiClient:
            return HpcapiClient(str(config.url), creds=credential, transport=fake,
                                sleep=lambda _: None, retry=RetryPolicy(attempts=1))

        code = cli.main(list(argv), credential_factory=creds or (lambda p, k: "creds"),
                        client_factory=make, environ=env, stdin=io.StringIO(stdin),
                        stdout=out, stderr=err, sleep=lambda _: None)
        return code, out.getvalue(), err.getvalue()

    return go


def document(out: str) -> dict[str, Any]:
    """The one JSON document stdout must hold, checked against the envelope's rules."""
    data = json.loads(out)  # fails if anything else is on stdout
    assert list(data) == ENVELOPE_KEYS
    assert data["hpcapi_cli_json"] == render.JSON_SHAPE_VERSION
    assert data["ok"] is (data["exit_code"] == 0)
    assert (data["error"] is None) is data["ok"]
    if data["error"] is not None:
        assert list(data["error"]) == ERROR_KEYS
    assert isinstance(data["warnings"], list)
    return data


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "job.sh"
    path.write_text("#!/bin/bash\n#SBATCH -p norm\n#SBATCH --export=ALL\nhostname\n")
    return path


def test_submit(run: Run, fake: FakeTransport, script: Path) -> None:
    fake.add("POST", "submit_job", (200, {"status": "call_success", "jobid": "42",
                                          "sbatch_lines_removed": 2, "reason": "42"}))
    code, out, err = run("--json", "submit", str(script), "--idempotency-key", "k-1")
    data = document(out)
    assert (code, data["command"]) == (0, "submit")
    assert data["result"] == {"jobid": "42", "dry_run": False, "replayed": False,
                              "idempotency_key": "k-1", "sbatch_lines_removed": 2,
                              "submit_body": None, "job": None}
    # The warning said on stderr is in the document too.
    assert len(data["warnings"]) == 1 and "--export=ALL" in data["warnings"][0]
    assert f"hpcapi: warning: {data['warnings'][0]}" in err


def test_a_replayed_submit(run: Run, fake: FakeTransport, script: Path) -> None:
    fake.add("POST", "submit_job", (200, {"status": "call_success", "jobid": "42",
                                          "idempotent_replay": True, "reason": "42"}))
    data = document(run("--json", "submit", str(script))[1])
    assert data["result"]["replayed"] is True
    assert data["result"]["idempotency_key"].startswith("hpcapi-submit:")


def test_dry_run_json_and_text(run: Run, fake: FakeTransport, script: Path) -> None:
    body = {"job": {"partition": "norm", "script": "#!/bin/bash\nhostname\n",
                    "environment": ["A=1", "B=2"], "time_limit": {"set": True, "number": 10}}}
    fake.add("POST", "submit_job", (200, {"status": "call_success", "reason": "dry_run",
                                          "job": body, "sbatch_lines_removed": 2}))
    code, out, _ = run("--json", "submit", "--dry-run", str(script))
    data = document(out)
    assert code == 0
    assert data["result"]["dry_run"] is True and data["result"]["jobid"] is None
    assert data["result"]["submit_body"] == body
    code, out, _ = run("submit", "--dry-run", str(script))
    assert code == 0
    table, _, script_block = out.partition("\n\n")
    rows = [line.split(None, 1) for line in table.splitlines()]
    assert rows[0] == ["FIELD", "VALUE"]
    assert dict(row for row in rows[1:] if len(row) == 2) == {
        "job.environment[0]": "A=1", "job.environment[1]": "B=2", "job.partition": "norm",
        "job.script": "(2 lines, below)", "job.time_limit.number": "10",
        "job.time_limit.set": "yes"}
    assert script_block == "job.script:\n    #!/bin/bash\n    hostname\n"


def test_submit_wait_keeps_the_job_id_when_the_wait_fails(
    run: Run, fake: FakeTransport, script: Path
) -> None:
    fake.add("POST", "submit_job", (200, {"status": "call_success", "jobid": "42",
                                          "reason": "42"}))
    fake.add("GET", "job/42", UnreachableError("cannot reach the server"))
    code, out, _ = run("--json", "submit", "--wait", str(script))
    data = document(out)
    assert code == cli.EXIT_UNREACHABLE
    assert data["result"]["jobid"] == "42" and data["result"]["job"] is None
    assert data["error"]["reason"] == "unreachable"


def test_status_partial_failure(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "job/1", job("1", "RUNNING"))
    fake.add("GET", "job/2", refused(404, "job_not_found", hint="look in history"))
    code, out, _ = run("--json", "status", "1", "2")
    data = document(out)
    assert code == 1
    assert data["result"]["jobs"]["1"]["state"] == "RUNNING"
    assert data["result"]["errors"] == {"2": {"reason": "job_not_found", "message": "no",
                                              "http_status": 404,
                                              "details": {"hint": "look in history"}}}
    assert data["error"]["reason"] == "partial_failure"
    assert "2 (job_not_found)" in data["error"]["message"]


def test_history_has_only_job_records(run: Run, fake: FakeTransport) -> None:
    record = {"user": "alice", "name": "a", "state": "COMPLETED", "exit_code": 0}
    fake.add("GET", "query_status", (200, {"status": "call_success", "reason": "query_success",
                                           "9": record}))
    data = document(run("--json", "history", "--hours", "3")[1])
    assert data["result"] == {"hours": 3, "jobs": {"9": record}}


@pytest.mark.parametrize(
    ("states", "code", "reason"),
    [([("5", "COMPLETED", 0)], 0, None), ([("5", "COMPLETED", 0), ("7", "FAILED", 3)], 5,
                                           "job_failed")],
)
def test_wait(run: Run, fake: FakeTransport, states: list[tuple[str, str, int]], code: int,
              reason: str | None) -> None:
    for job_id, state, exit_code in states:
        fake.add("GET", f"job/{job_id}", job(job_id, state, exit_code))
    got, out, _ = run("--json", "wait", *[job_id for job_id, _, _ in states])
    data = document(out)
    assert got == code
    assert {k: v["state"] for k, v in data["result"]["jobs"].items()} == {
        job_id: state for job_id, state, _ in states}
    assert (data["error"] or {}).get("reason") == reason


def test_wait_timeout(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "job/5", job("5", "RUNNING"))
    code, out, _ = run("--json", "wait", "--timeout", "0.000001", "5")
    data = document(out)
    assert code == cli.EXIT_WAIT_TIMEOUT
    assert data["error"]["reason"] == "wait_timeout"
    assert data["result"]["jobs"]["5"]["state"] == "RUNNING"


def test_server_answers_lose_their_status_and_reason(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "whoami", (200, {"status": "call_success", "principal": "a@R",
                                     "local_user": "a", "uid": 7, "reason": "whoami_success"}))
    data = document(run("--json", "whoami")[1])
    assert data["result"] == {"principal": "a@R", "local_user": "a", "uid": 7}


@pytest.mark.parametrize(
    ("argv", "code", "reason"),
    [(("--json", "status"), 2, "usage"), (("status", "--json", "x"), 2, "usage"),
     (("--json", "frobnicate"), 2, "usage"), (("--json", "history", "--hours", "0"), 2, "usage")],
)
def test_usage_errors_under_json(run: Run, fake: FakeTransport, argv: tuple[str, ...],
                                 code: int, reason: str) -> None:
    got, out, err = run(*argv)
    data = document(out)
    assert (got, data["exit_code"], data["error"]["reason"]) == (code, code, reason)
    assert data["error"]["message"] in err
    assert fake.calls() == []


def test_no_url_and_no_ticket_under_json(run: Run, fake: FakeTransport) -> None:
    data = document(run("--json", "whoami", url=None)[1])
    assert (data["exit_code"], data["error"]["reason"]) == (2, "config")

    def no_ticket(principal: str | None, keytab: str | None) -> Any:
        raise CredentialsError(NO_TICKET_MESSAGE)

    data = document(run("--json", "whoami", creds=no_ticket)[1])
    assert data["error"] == {"reason": "no_credentials", "message": NO_TICKET_MESSAGE,
                             "http_status": None, "details": {}}


def test_a_refused_principal_is_exit_3_with_the_server_code(
    run: Run, fake: FakeTransport
) -> None:
    fake.add("GET", "whoami", refused(403, "principal_not_allowed"))
    code, out, _ = run("--json", "whoami")
    data = document(out)
    assert code == 3
    assert (data["error"]["reason"], data["error"]["http_status"]) == ("principal_not_allowed",
                                                                      403)


def test_without_json_stdout_has_no_document(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "whoami", refused(400, "bad_parameter"))
    code, out, err = run("whoami")
    assert (code, out) == (1, "")
    assert "bad_parameter" in err


def test_local_commands_under_json(run: Run) -> None:
    data = document(run("--json", "completion", "zsh", url=None)[1])
    assert data["result"]["shell"] == "zsh"
    assert data["result"]["script"].startswith("#compdef hpcapi")
    data = document(run("man", "--json", url=None)[1])
    assert data["result"]["page"].startswith(".TH HPCAPI 1")


def test_client_reasons_are_never_server_codes() -> None:
    assert set(render.CLIENT_REASONS).isdisjoint(code.code for code in ErrorCode)
    assert set(cli.STATUS_REASONS.values()) <= set(render.CLIENT_REASONS)


def test_envelope_drops_an_error_on_success() -> None:
    assert render.envelope("ping", 0, {}, render.error_info("usage", "x"))["error"] is None


# --- docs/cli-json.md ---


def doc_documents() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return [json.loads(block) for block in blocks]


def test_every_doc_example_has_the_shape() -> None:
    documents = doc_documents()
    for data in documents:
        document(json.dumps(data))
        if data["error"] is not None:
            reason = data["error"]["reason"]
            assert reason in render.CLIENT_REASONS or reason in {c.code for c in ErrorCode}
    # One example at least for every command the parser has.
    assert set(cli.COMMAND_HELP) <= {data["command"] for data in documents}


def test_the_doc_lists_every_client_reason() -> None:
    text = DOC.read_text(encoding="utf-8")
    for reason in render.CLIENT_REASONS:
        assert f"| `{reason}` |" in text, reason


def test_doc_results_have_the_keys_the_commands_print(
    run: Run, fake: FakeTransport, tmp_path: Path, script: Path
) -> None:
    fake.add("POST", "submit_job", (200, {"status": "call_success", "jobid": "42",
                                          "reason": "42"}))
    fake.add("GET", "query_status", (200, {"status": "call_success", "reason": "query_success"}))
    fake.add("GET", "job/42", job("42", "COMPLETED", 0))
    fake.add("DELETE", "job/42", (200, {"status": "call_success", "reason": "cancel_success"}))
    fake.add("GET", "partitions", (200, {"status": "call_success", "reason": "query_success",
                                         "partitions": []}))
    fake.add("GET", "whoami", (200, {"status": "call_success", "principal": "a@R",
                                     "local_user": "a", "uid": 1, "reason": "whoami_success"}))
    fake.add("GET", "ping", (200, {"status": "call_success", "reason": "ping_success",
                                   "backend": {}}))
    fake.add("GET", "job/42/output", (200, {"status": "call_success", "reason": "output_read",
                                            "output": {"text": "", "offset": 0, "bytes": 0,
                                                       "eof": True, "job_finished": True}}))
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "a.sh").write_text("#!/bin/bash\ntrue\n")
    argvs = {
        "submit": ["submit", "-p", "norm", str(script)],
        "submit-many": ["submit-many", "-p", "norm", "--run-id", "r", str(scripts)],
        "history": ["history"], "status": ["status", "42"], "cancel": ["cancel", "42"],
        "wait": ["wait", "42"], "partitions": ["partitions"], "whoami": ["whoami"],
        "ping": ["ping"], "completion": ["completion", "bash"], "man": ["man"],
        "output": ["output", "42"],
    }
    printed = {name: document(run("--json", *argv)[1])["result"] for name, argv in argvs.items()}
    for data in doc_documents():
        if data["result"] is not None:
            assert list(data["result"]) == list(printed[data["command"]]), data["command"]
