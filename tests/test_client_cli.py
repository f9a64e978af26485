"""Tests for hpcapi.client.cli: commands, output, and the documented exit codes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import hpcapi
import hpcapi.client.config
from hpcapi.client import cli
from hpcapi.client.api import HpcapiClient, RetryPolicy
from hpcapi.client.auth import NO_TICKET_MESSAGE
from hpcapi.client.config import ClientConfig
from hpcapi.client.errors import CredentialsError
from hpcapi.client.transport import HttpsTransport
from tests.client_fakes import FakeTransport, output_part

URL = "https://hpcapi.test/hpcapi"
PARTITIONS = (200, {"status": "call_success", "reason": "query_success", "partitions": [
    {"name": "norm", "default": True, "state": "UP", "max_time": 1440, "default_time": 60,
     "max_nodes": 1, "total_nodes": 1, "total_cpus": 4},
    {"name": "quick", "default": False, "state": "UP", "max_time": None, "default_time": None,
     "max_nodes": 1, "total_nodes": 1, "total_cpus": 4},
]})


def job(job_id: str, state: str, exit_code: int | None = None) -> tuple[int, dict[str, Any]]:
    return (200, {"status": "call_success", "reason": "job_found", "job": {
        "job_id": job_id, "user": "alice", "name": "x", "partition": "norm", "state": state,
        "reason": None, "submit": None, "start": None, "end": None, "time_limit": 10,
        "exit_code": exit_code, "signal": None, "nodes": "n1", "output": None, "error": None,
        "working_directory": "/home/alice"}})


def submitted(job_id: str = "42") -> tuple[int, dict[str, Any]]:
    return (200, {"status": "call_success", "jobid": job_id, "sbatch_lines_removed": 1,
                  "reason": job_id})


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
           url: str | None = URL, adapter: FakeTransport | None = fake) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        env = {"HOME": str(tmp_path / "home")}
        if url:
            env["HPCAPI_URL"] = url

        def make(config: ClientConfig, credential: Any) -> HpcapiClient:
            assert credential == "creds"
            # No fake: the real transport, without Kerberos (there is no ticket here).
            transport = adapter if adapter is not None else HttpsTransport(None)
            return HpcapiClient(str(config.url), creds=credential, transport=transport,
                                sleep=lambda _: None,
                                retry=RetryPolicy(attempts=2, base_delay=0.0), timeout=5)

        code = cli.main(list(argv), credential_factory=creds or (lambda p, k: "creds"),
                        client_factory=make, environ=env, stdin=io.StringIO(stdin),
                        stdout=out, stderr=err, sleep=lambda _: None)
        return code, out.getvalue(), err.getvalue()

    return go


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "job.sh"
    path.write_text("#!/bin/bash\n#SBATCH -p norm\n#SBATCH -t 10 --exclusive\nhostname\n")
    return path


def test_submit_turns_directives_into_fields(
    run: Run, fake: FakeTransport, script: Path
) -> None:
    script.write_text(script.read_text().replace("--exclusive", "--exclusive --resv-ports=2"))
    fake.add("POST", "submit_job", submitted())
    code, out, err = run("submit", "-t", "30", "-J", "named", "--hold", "--ignore-unsupported",
                         str(script))
    assert code == 0
    assert out.strip() == "Submitted batch job 42"
    body = fake.calls("POST")[0].json()
    assert body["partition"] == "norm"
    assert body["timelimit"] == "30"  # the command line wins
    assert body["job-name"] == "named"
    assert body["hold"] is True
    assert body["script-body"] == script.read_text()
    assert fake.calls("POST")[0].headers["Idempotency-Key"].startswith("hpcapi-submit:")
    assert body["exclusive"] is True
    assert "resv-ports" not in body  # --ignore-unsupported: sent without it, with a warning
    assert "line 3: --resv-ports=2 cannot be carried" in err


def test_submit_uses_the_default_partition(run: Run, fake: FakeTransport, tmp_path: Path) -> None:
    path = tmp_path / "plain.sh"
    path.write_text("#!/bin/bash\nhostname\n")
    fake.add("GET", "partitions", PARTITIONS)
    fake.add("POST", "submit_job", submitted())
    code, _, err = run("submit", str(path), "--json")
    assert code == 0
    assert fake.calls("POST")[0].json()["partition"] == "norm"
    assert "default partition norm" in err


def test_submit_json_and_stdin(run: Run, fake: FakeTransport) -> None:
    fake.add("POST", "submit_job", submitted("43"))
    code, out, _ = run("--json", "submit", "-p", "quick", "-", stdin="#!/bin/sh\ntrue\n")
    assert code == 0
    assert json.loads(out)["result"]["jobid"] == "43"


def test_dry_run(run: Run, fake: FakeTransport, script: Path) -> None:
    fake.add("POST", "submit_job", (200, {"status": "call_success", "reason": "dry_run",
                                          "job": {"job": {"partition": "norm",
                                                          "time_limit": {"number": 10}}}}))
    code, out, err = run("submit", str(script), "--dry-run")
    assert code == 0 and "nothing submitted" in err
    assert fake.calls()[0].query == {"dry_run": ["1"]}
    rows = [line.split() for line in out.splitlines()]
    assert ["job.partition", "norm"] in rows and ["job.time_limit.number", "10"] in rows
    assert "{" not in out  # no Python dict shown


def test_exit_1_prints_the_api_code(run: Run, fake: FakeTransport, script: Path) -> None:
    fake.add("POST", "submit_job", (400, {"status": "call_failure", "reason": "bad_partition",
                                          "message": "no such partition"}))
    code, out, err = run("submit", str(script), "--json")
    assert code == 1
    assert "bad_partition" in err
    document = json.loads(out)
    assert document["error"]["reason"] == "bad_partition"
    assert (document["ok"], document["exit_code"]) == (False, 1)


@pytest.mark.parametrize(
    "argv",
    [("submit",), ("frobnicate",), ("status", "not-a-job"), ("submit", "/nonexistent.sh"),
     ("history", "--hours", "0")],
)
def test_exit_2_usage(run: Run, fake: FakeTransport, argv: tuple[str, ...]) -> None:
    code, _, _ = run(*argv)
    assert code == 2
    assert fake.calls() == []


def test_exit_2_without_url_or_with_bad_config(run: Run, tmp_path: Path) -> None:
    code, _, err = run("whoami", url=None)
    assert code == 2 and "no server URL" in err
    conf = tmp_path / "home" / ".config" / "hpcapi" / "client.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[client]\nserver = x\n")
    code, _, err = run("whoami")
    assert code == 2 and "unknown key 'server'" in err


def test_exit_3_no_ticket_before_any_request(run: Run, fake: FakeTransport) -> None:
    def no_ticket(principal: str | None, keytab: str | None) -> Any:
        raise CredentialsError(NO_TICKET_MESSAGE)

    code, _, err = run("whoami", creds=no_ticket)
    assert code == 3
    assert err.strip() == "hpcapi: no valid Kerberos ticket: run kinit, or pass --keytab"
    assert fake.calls() == []


def test_exit_3_when_the_server_refuses(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "whoami", (401, {"status": "call_failure", "reason": "unauthenticated",
                                     "message": "no"}))
    code, _, err = run("whoami")
    assert code == 3 and "unauthenticated" in err


def test_a_refusal_names_its_request_id_for_the_site(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "query_status", (400, {"status": "call_failure", "reason": "bad_parameter",
                                           "message": "hours must be 1 to 168",
                                           "request_id": "0f3a"}))
    code, _, err = run("history", "--hours", "500")
    assert code == 1
    assert err.strip() == ("hpcapi: error bad_parameter (HTTP 400): hours must be 1 to 168"
                           " (request id 0f3a)")
    code, out, _ = run("--json", "history", "--hours", "500")
    assert json.loads(out)["error"]["details"]["request_id"] == "0f3a"


def test_exit_4_connection_refused(run: Run) -> None:
    # A closed port on loopback: nothing listens on the discard port.
    code, _, err = run("ping", url="https://127.0.0.1:9/hpcapi", adapter=None)
    assert code == 4
    assert "cannot reach https://127.0.0.1:9/hpcapi" in err


def test_keytab_goes_to_the_credential_factory(run: Run, fake: FakeTransport,
                                               tmp_path: Path) -> None:
    keytab = tmp_path / "svc.keytab"
    keytab.write_bytes(b"\x05\x02")
    seen: list[tuple[Any, Any]] = []

    def factory(principal: str | None, kt: str | None) -> Any:
        seen.append((principal, kt))
        return "creds"

    fake.add("GET", "whoami", (200, {"status": "call_success", "principal": "svc@R",
                                     "local_user": "pipeline", "uid": 1003,
                                     "reason": "whoami_success"}))
    code, out, _ = run("whoami", "--principal", "svc@R", "--keytab", str(keytab), creds=factory)
    assert code == 0 and "pipeline" in out
    assert seen == [("svc@R", str(keytab))]
    code, _, err = run("--keytab", str(keytab), "whoami")
    assert code == 2 and "needs a principal" in err


def test_history_table(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "query_status", (200, {
        "status": "call_success", "reason": "query_success",
        "9": {"user": "alice", "name": "a", "partition": "norm", "state": "COMPLETED",
              "start": None, "end": None, "submit": None, "exit_code": 0, "reason": None},
        "10": {"user": "alice", "name": "b", "partition": "norm", "state": "RUNNING",
               "start": None, "end": None, "submit": None, "exit_code": None, "reason": None},
    }))
    code, out, _ = run("history", "--hours", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("JOBID")
    assert lines[1].startswith("9 ") and lines[2].startswith("10 ")


def test_status_and_cancel_report_each_job(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "job/1", job("1", "RUNNING"))
    fake.add("GET", "job/2", (404, {"status": "call_failure", "reason": "job_not_found",
                                    "message": "no"}))
    code, out, err = run("status", "1", "2")
    assert code == 1 and "RUNNING" in out and "job_not_found" in err
    fake.add("DELETE", "job/1", (200, {"status": "call_success", "reason": "cancel_success",
                                       "jobid": "1"}))
    fake.add("DELETE", "job/2", (409, {"status": "call_failure",
                                       "reason": "job_already_finished", "message": "done"}))
    code, out, err = run("--json", "cancel", "1", "2")
    assert code == 1
    result = json.loads(out)["result"]
    assert result["cancelled"] == ["1"]
    assert result["errors"]["2"]["reason"] == "job_already_finished"
    assert "job_already_finished" in err


def test_wait_exit_status_follows_the_jobs(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "job/5", job("5", "PENDING"), job("5", "RUNNING"), job("5", "COMPLETED", 0))
    fake.add("GET", "job/6", job("6", "COMPLETED", 0))
    code, out, _ = run("wait", "5", "6")
    assert code == 0 and out.count("COMPLETED") == 2
    fake.add("GET", "job/7", job("7", "RUNNING"), job("7", "FAILED", 3))
    code, _, err = run("wait", "5", "7")
    assert code == 5 and "job 7 ended FAILED" in err
    fake.add("GET", "job/8", job("8", "COMPLETED", 2))
    assert run("wait", "8")[0] == 5


def test_submit_wait(run: Run, fake: FakeTransport, script: Path) -> None:
    fake.add("POST", "submit_job", submitted("42"))
    fake.add("GET", "job/42", job("42", "RUNNING"), job("42", "TIMEOUT"))
    code, out, _ = run("--json", "submit", "--wait", str(script))
    assert code == 5
    document = json.loads(out)
    assert document["result"]["jobid"] == "42"
    assert document["result"]["job"]["state"] == "TIMEOUT"
    assert document["error"]["reason"] == "job_failed"


def test_partitions_whoami_ping(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "partitions", PARTITIONS)
    fake.add("GET", "ping", (200, {"status": "call_success", "reason": "ping_success",
                                   "backend": {"reachable": True, "api_version": "v0.0.38",
                                               "latency_ms": 3, "controllers": []}}))
    code, out, _ = run("partitions")
    assert code == 0 and "UNLIMITED" in out and "1-00:00:00" in out
    code, out, _ = run("ping")
    assert code == 0 and "v0.0.38" in out


def test_options_after_the_command(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "whoami", (200, {"status": "call_success", "principal": "a@R",
                                     "reason": "whoami_success"}))
    code, out, _ = run("whoami", "--json")
    assert code == 0 and json.loads(out)["result"]["principal"] == "a@R"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"hpcapi {hpcapi.__version__}\n"


def test_a_usage_error_goes_to_the_given_stderr(run: Run) -> None:
    code, out, err = run("status")
    assert (code, out) == (2, "")
    assert "usage: hpcapi status" in err
    assert err.rstrip().endswith("hpcapi status: error: the following arguments are required:"
                                 " JOB")


def test_local_commands_need_no_server(run: Run, fake: FakeTransport) -> None:
    code, out, _ = run("completion", "bash", url=None)
    assert code == 0 and "complete -o default -F _hpcapi hpcapi" in out
    code, out, _ = run("man", url=None)
    assert code == 0 and out.startswith(".TH HPCAPI 1")
    assert fake.calls() == []


def test_submit_parsable_prints_the_job_id_only(
    run: Run, fake: FakeTransport, script: Path
) -> None:
    fake.add("POST", "submit_job", submitted("44"))
    code, out, _ = run("submit", "--parsable", str(script))
    assert (code, out) == (0, "44\n")
    script.write_text("#!/bin/bash\n#SBATCH -p norm --parsable\nhostname\n")
    fake.add("POST", "submit_job", submitted("45"))
    code, out, _ = run("submit", str(script))
    assert (code, out) == (0, "45\n")  # as sbatch, the script may ask for it


def test_submit_refuses_what_it_cannot_carry_and_sends_nothing(
    run: Run, fake: FakeTransport, script: Path
) -> None:
    script.write_text("#!/bin/bash\n#SBATCH -p norm\n#SBATCH --resv-ports=2\nhostname\n")
    code, _, err = run("submit", str(script))
    assert code == cli.EXIT_USAGE
    assert "line 3: --resv-ports=2 cannot be carried by hpcapi" in err
    assert fake.calls("POST") == []


def test_submit_refuses_pbs_lines_unless_ignore_pbs(
    run: Run, fake: FakeTransport, script: Path
) -> None:
    script.write_text("#!/bin/bash\n#PBS -N x\n#SBATCH -p norm\nhostname\n")
    code, _, err = run("submit", str(script))
    assert code == cli.EXIT_USAGE and "hpcapi does not translate #PBS/#BSUB" in err
    assert fake.calls("POST") == []
    fake.add("POST", "submit_job", submitted())
    code, _, _ = run("submit", "--ignore-pbs", str(script))
    assert code == 0 and len(fake.calls("POST")) == 1


def test_submit_sends_the_directory_and_name_sbatch_would(
    run: Run, fake: FakeTransport, script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    fake.add("POST", "submit_job", submitted())
    fake.add("POST", "submit_job", submitted())
    assert run("submit", str(script))[0] == 0
    assert run("submit", "-p", "quick", "-", stdin="#!/bin/sh\ntrue\n")[0] == 0
    first, second = (call.json() for call in fake.calls("POST"))
    assert first["working-directory"] == first["submit-directory"] == str(work)
    assert first["script-path"] == str(script)
    assert first["job-name"] == "job.sh"
    assert second["job-name"] == "sbatch"
    assert "script-path" not in second  # sbatch's name for a script on stdin


def test_submit_wrap_makes_sbatchs_script_and_name(
    run: Run, fake: FakeTransport, script: Path
) -> None:
    fake.add("POST", "submit_job", submitted())
    fake.add("POST", "submit_job", submitted())
    assert run("submit", "-p", "quick", "--wrap", "echo hi; hostname")[0] == 0
    assert run("submit", "-p", "quick", "-J", "mine", "--wrap=true")[0] == 0
    first, second = (call.json() for call in fake.calls("POST"))
    assert first["script-body"] == (
        "#!/bin/sh\n# This script was created by sbatch --wrap.\n\necho hi; hostname\n")
    assert first["job-name"] == "wrap"
    assert "script-path" not in first
    assert second["job-name"] == "mine"
    code, _, err = run("submit", "--wrap", "true", str(script))
    assert code == cli.EXIT_USAGE
    assert "Script arguments not permitted with --wrap option" in err
    assert len(fake.calls("POST")) == 2  # nothing sent for the refused one


def test_submit_without_a_script_reads_stdin_as_sbatch(run: Run, fake: FakeTransport) -> None:
    fake.add("POST", "submit_job", submitted())
    assert run("submit", "-p", "quick", stdin="#!/bin/sh\n#SBATCH -t 5\ntrue\n")[0] == 0
    body = fake.calls("POST")[0].json()
    assert (body["job-name"], body["timelimit"]) == ("sbatch", "5")


def test_submit_gives_the_words_after_the_script_to_it(
    run: Run, fake: FakeTransport, script: Path
) -> None:
    fake.add("POST", "submit_job", submitted())
    fake.add("POST", "submit_job", submitted())
    assert run("submit", "-t", "5", str(script), "a b", "-t", "9", "--json")[0] == 0
    assert run("submit", str(script))[0] == 0
    first, second = (call.json() for call in fake.calls("POST"))
    assert first["script-arguments"] == ["a b", "-t", "9"]
    assert first["timelimit"] == "5"  # the -t after the script is the script's
    assert "script-arguments" not in second
    code, _, err = run("submit", "--wrap", "true", "--", "x")
    assert code == cli.EXIT_USAGE and "Script arguments not permitted with --wrap" in err


def test_output_prints_the_file_and_reads_on_until_its_end(run: Run, fake: FakeTransport) -> None:
    fake.add("GET", "job/9/output", output_part("abc", 0, 6, True), output_part("def", 3, 6, True))
    code, out, _ = run("output", "9")
    assert (code, out) == (0, "abcdef")
    offsets = [call.query["offset"][0] for call in fake.calls("GET", "job/9/output")]
    assert offsets == ["0", "3"]


def test_output_tail_stderr_and_follow_until_finished_and_quiet(
    run: Run, fake: FakeTransport
) -> None:
    fake.add("GET", "job/9/output", output_part("x\n", 10, 12, False),
             output_part("y\n", 12, 14, False), output_part("", 14, 14, True))
    code, out, _ = run("output", "9", "--stderr", "--tail", "2", "--follow")
    assert (code, out) == (0, "x\ny\n")
    calls = fake.calls("GET", "job/9/output")
    assert [c.query["offset"][0] for c in calls] == ["-2", "12", "14"]
    assert {c.query["stream"][0] for c in calls} == {"stderr"}
    code, _, err = run("output", "9", "--tail", "0")
    assert code == cli.EXIT_USAGE and "--tail must be a positive" in err


def test_submit_wait_show_output(run: Run, fake: FakeTransport, script: Path) -> None:
    fake.add("POST", "submit_job", submitted("9"))
    fake.add("GET", "job/9", job("9", "COMPLETED", 0))
    fake.add("GET", "job/9/output", output_part("hello\n", 0, 6, True))
    code, out, _ = run("submit", "--wait", "--show-output", str(script))
    assert code == 0 and out.endswith("hello\n")
    code, out, _ = run("--json", "submit", "--wait", "--show-output", str(script))
    assert json.loads(out)["result"]["output"] == "hello\n"
    code, _, err = run("submit", "--show-output", str(script))
    assert code == cli.EXIT_USAGE and "--show-output needs --wait" in err
