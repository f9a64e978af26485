"""Property-based tests driven by hpcapi/openapi.json against the running stack (schemathesis).

Every described operation is fuzzed through Apache with alice's real Kerberos credentials. Each
answer must be JSON in hpcapi's shape, never a 500, and conform to the document (status code,
content type, body schema). Submissions are watched in slurmctld: a refused submission must
create no job, an accepted one exactly the job it names.

Safety: every fuzzed submission is sent with ``hold: true`` (no generated script ever runs), and
every job the test creates is cancelled at the end. Cancellation (DELETE /job/{id}, POST
/cancel_job) is only ever aimed at jobs this test created or at ids Slurm cannot have handed out,
so jobs of other tests and people are never touched.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import REALM, REPO, Api, scontrol_job

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.e2e

DOCUMENT_PATH = REPO / "hpcapi" / "openapi.json"
DOCUMENT: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]

# Job ids Slurm never hands out: above the default MaxJobId (0x3ff0000) yet below 2**32, so hpcapi
# looks them up (and answers job_not_found) instead of refusing them as malformed.
NEVER_A_JOB = 0x4000000
# 5xx answers allowed only with these codes: the backend's, or Apache's when gunicorn is gone.
BACKEND_CODES = {"backend_query_failed", "backend_unavailable", "backend_timeout",
                 "service_unavailable"}
SUBMIT = ("POST", "/submit_job")
DELETE_JOB = ("DELETE", "/job/{job_id}")
CANCEL_JOB = ("POST", "/cancel_job")

# (method, path) -> examples per generation mode; 242 requests in all, plus the explicit ones.
BUDGET: dict[tuple[str, str], dict[GenerationMode, int]] = {
    SUBMIT: {GenerationMode.POSITIVE: 60, GenerationMode.NEGATIVE: 40},
    ("GET", "/query_status"): {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 15},
    ("GET", "/job/{job_id}"): {GenerationMode.POSITIVE: 20},
    ("GET", "/job/{job_id}/output"): {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 10},
    DELETE_JOB: {GenerationMode.POSITIVE: 15},
    CANCEL_JOB: {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 20},
    ("GET", "/partitions"): {GenerationMode.POSITIVE: 3},
    ("GET", "/nodes"): {GenerationMode.POSITIVE: 3},
    ("GET", "/metrics"): {GenerationMode.POSITIVE: 2},
    ("GET", "/whoami"): {GenerationMode.POSITIVE: 3},
    ("GET", "/ping"): {GenerationMode.POSITIVE: 3},
    ("GET", "/health"): {GenerationMode.POSITIVE: 3},
    ("GET", "/health/live"): {GenerationMode.POSITIVE: 2},
    ("GET", "/health/ready"): {GenerationMode.POSITIVE: 2},
    ("GET", "/openapi.json"): {GenerationMode.POSITIVE: 2},
}


# dev/soak asks for a much longer run, HPCAPI_FUZZ_EXAMPLES examples in all (read here, by the
# test, never by hpcapi), spread in these proportions. Not the short run's: every accepted
# submission adds a held job to alice's history until the end of the run, and on Slurm 22.05
# each history answer carries every job of the window (about 10 KB each), so accepted
# submissions and history queries are kept to a few hundred; refused requests are the point.
LONG_BUDGET: dict[tuple[str, str], dict[GenerationMode, int]] = {
    SUBMIT: {GenerationMode.POSITIVE: 500, GenerationMode.NEGATIVE: 3300},
    ("GET", "/query_status"): {GenerationMode.POSITIVE: 250, GenerationMode.NEGATIVE: 600},
    ("GET", "/job/{job_id}"): {GenerationMode.POSITIVE: 1400},
    ("GET", "/job/{job_id}/output"): {GenerationMode.POSITIVE: 300, GenerationMode.NEGATIVE: 300},
    DELETE_JOB: {GenerationMode.POSITIVE: 700},
    CANCEL_JOB: {GenerationMode.POSITIVE: 1000, GenerationMode.NEGATIVE: 1600},
    ("GET", "/partitions"): {GenerationMode.POSITIVE: 300},
    ("GET", "/nodes"): {GenerationMode.POSITIVE: 100},
    ("GET", "/metrics"): {GenerationMode.POSITIVE: 20},
    ("GET", "/whoami"): {GenerationMode.POSITIVE: 300},
    ("GET", "/ping"): {GenerationMode.POSITIVE: 300},
    ("GET", "/health"): {GenerationMode.POSITIVE: 300},
    ("GET", "/health/live"): {GenerationMode.POSITIVE: 100},
    ("GET", "/health/ready"): {GenerationMode.POSITIVE: 100},
    ("GET", "/openapi.json"): {GenerationMode.POSITIVE: 100},
}


def scaled_budget(wanted: int) -> dict[tuple[str, str], dict[GenerationMode, int]]:
    """The budget for ``wanted`` examples: the short one as it is, else the long one scaled."""
    short_total = sum(n for modes in BUDGET.values() for n in modes.values())
    if wanted <= short_total:
        return BUDGET
    long_total = sum(n for modes in LONG_BUDGET.values() for n in modes.values())
    return {operation: {mode: max(1, round(n * wanted / long_total)) for mode, n in modes.items()}
            for operation, modes in LONG_BUDGET.items()}


RUN_BUDGET = scaled_budget(int(os.environ.get("HPCAPI_FUZZ_EXAMPLES") or 0))


def alice_job_ids() -> set[str]:
    """The ids of alice's jobs slurmctld holds (array tasks folded into their array job)."""
    out = subprocess.run(
        ["squeue", "-h", "--states=all", "-u", "alice", "-o", "%i"],
        capture_output=True, text=True, check=True,
    ).stdout
    # "%i" shows an array task as 123_4 and a pending array as 123_[5-9]; het jobs as 123+0.
    return {item.split("_")[0].split("+")[0] for item in out.split()}


def server_job_id(raw: object) -> int | None:
    """The job id hpcapi would read from a cancel_job ``jobid`` value, None if it reads none."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**32:
        return None
    return int(text)


@dataclass
class FuzzRun:
    """State shared by every fuzzed request: the session, and the jobs the test created."""

    base_url: str
    session: Any
    created: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)  # "<status> <reason>" -> count
    refused_submissions: int = 0
    accepted_submissions: int = 0

    def report(self) -> dict[str, Any]:
        """What the run saw, for dev/soak: answers by status and reason, and the submissions."""
        named = {label: n for label, n in self.answers.items() if not label.startswith("2")}
        return {
            "requests": sum(self.answers.values()),
            "answers": dict(sorted(self.answers.items())),
            "named_errors": dict(sorted(named.items())),
            "server_errors": len(self.server_errors),
            "accepted_submissions": self.accepted_submissions,
            "refused_submissions": self.refused_submissions,
            "jobs_created": len(self.created),
        }

    def safe_job_id(self, pick: int) -> str:
        """A job id safe to cancel: one this test created, or one Slurm never hands out."""
        if self.created and pick % 2 == 0:
            return self.created[pick % len(self.created)]
        return str(NEVER_A_JOB + pick)


@pytest.fixture(scope="module")
def alice_session(stack: dict[str, str]) -> Iterator[Any]:
    """A requests session authenticating as alice with requests-gssapi, from her keytab."""
    api = Api(stack, "alice", f"alice@{REALM}")
    yield api.session
    api.session.close()


@pytest.fixture(scope="module")
def fuzz_run(stack: dict[str, str], alice_session: Any) -> Iterator[FuzzRun]:
    """The shared run; every job it created is cancelled afterwards, whatever happened."""
    run = FuzzRun(stack["HPCAPI_URL"], alice_session)
    yield run
    if run.created:
        subprocess.run(["scancel", *run.created], capture_output=True)
    report = os.environ.get("HPCAPI_FUZZ_REPORT")
    if report:  # dev/soak's summary reads it
        Path(report).write_text(json.dumps(run.report(), indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def schema() -> Any:
    """The document as schemathesis reads it."""
    # a copy: schemathesis annotates the document it is given
    return schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))


def check_answer(case: Any, response: Any, run: FuzzRun) -> dict[str, Any]:
    """hpcapi's own rules for every answer: JSON, its shape, no 500, 5xx only from the backend."""
    label = f"{case.method} {case.formatted_path}"
    assert response.status_code != 500, f"{label}: 500 {response.text[:500]}"
    # schemathesis' Response: lower-case header names, each with a list of values.
    content_type = (response.headers.get("content-type") or [""])[0]
    if case.path == "/metrics" and response.status_code == 200:  # Prometheus's text format
        assert content_type.startswith("text/plain"), f"{label}: {content_type!r}"
        run.answers["200 metrics"] += 1
        return {}
    assert content_type.startswith("application/json"), (
        f"{label}: {response.status_code} {content_type!r}"
    )
    body = response.json()
    assert isinstance(body, dict), f"{label}: {body!r}"
    if case.path == "/openapi.json":
        run.answers[f"{response.status_code} document"] += 1
        return body
    # a success's reason may be a job id: count successes by status only
    outcome = body.get("reason") if response.status_code >= 400 else body.get("status")
    run.answers[f"{response.status_code} {outcome}"] += 1
    assert body.get("status") in ("call_success", "call_failure"), f"{label}: {body}"
    assert "reason" in body, f"{label}: {body}"
    if response.status_code >= 400:
        assert body["status"] == "call_failure" and isinstance(body.get("message"), str), body
    if response.status_code >= 500:
        assert body["reason"] in BACKEND_CODES, f"{label}: {response.status_code} {body}"
        run.server_errors.append(f"{label}: {response.status_code} {body['reason']}")
    return body


def tame(case: Any, run: FuzzRun, pick: int) -> None:
    """Make a generated case safe to send to a shared Slurm (see the module docstring)."""
    # The document's security scheme makes schemathesis generate an Authorization header;
    # requests-gssapi sends the real one.
    if case.headers:
        for name in [n for n in case.headers if n.lower() == "authorization"]:
            del case.headers[name]
    operation = (case.method.upper(), case.path)
    if operation == SUBMIT and isinstance(case.body, dict):
        case.body["hold"] = True
    elif operation == DELETE_JOB:
        case.path_parameters["job_id"] = run.safe_job_id(pick)
    elif operation == CANCEL_JOB and isinstance(case.body, dict) and "jobid" in case.body:
        job_id = server_job_id(case.body["jobid"])
        if job_id is not None and str(job_id) not in run.created:
            case.body["jobid"] = run.safe_job_id(pick)


def send(case: Any, run: FuzzRun) -> Any:
    """Send one case as alice; for submissions, check which jobs appeared in slurmctld."""
    is_submit = (case.method.upper(), case.path) == SUBMIT
    before = alice_job_ids() if is_submit else set()
    response = case.call(base_url=run.base_url, session=run.session, timeout=60)
    body = check_answer(case, response, run)
    if is_submit:
        new = alice_job_ids() - before
        run.created.extend(sorted(new - set(run.created)))
        dry_or_replay = body.get("reason") == "dry_run" or body.get("idempotent_replay") is True
        if response.status_code == 200 and not dry_or_replay:
            run.accepted_submissions += 1
            assert new == {body["jobid"]}, f"submitted {body['jobid']}, new jobs {new}"
            fields = scontrol_job(body["jobid"])
            assert fields.get("Priority") == "0" or "JobHeld" in fields.get("Reason", ""), (
                f"job {body['jobid']} is not held: {fields.get('JobState')} {fields.get('Reason')}"
            )
        else:
            run.refused_submissions += response.status_code >= 400
            assert not new, f"{response.status_code} {body.get('reason')} yet jobs {new} appeared"
    case.validate_response(response, checks=CHECKS)
    return response


def operation_cases() -> list[Any]:
    """One pytest case per (operation, generation mode) of the budget."""
    described = {
        (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }
    for budget in (BUDGET, LONG_BUDGET):
        assert described == set(budget), f"give every operation a budget: {described ^ set(budget)}"
    return [
        pytest.param(method, path, mode, examples, id=f"{method} {path} {mode.value}")
        for (method, path), modes in RUN_BUDGET.items()
        for mode, examples in modes.items()
    ]


@pytest.mark.parametrize(("method", "path", "mode", "examples"), operation_cases())
def test_fuzz_operation(
    schema: Any, fuzz_run: FuzzRun, method: str, path: str, mode: GenerationMode, examples: int
) -> None:
    operation = schema[path][method]
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded time and requests
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, pick=st.integers(min_value=0, max_value=10**6))
    def fuzz(case: Any, pick: int) -> None:
        tame(case, fuzz_run, pick)
        send(case, fuzz_run)

    fuzz()


def test_held_job_lifecycle_conforms(schema: Any, fuzz_run: FuzzRun) -> None:
    """The paths fuzzing rarely reaches: a real submission, its record, its cancellation."""
    body = {"partition": "norm", "script-body": "#!/bin/bash\necho fuzz\n", "hold": True,
            "job-name": "openapi-fuzz"}
    submitted = send(schema["/submit_job"]["POST"].Case(body=body), fuzz_run).json()
    assert submitted["status"] == "call_success", submitted
    job_id = submitted["jobid"]

    calls: list[tuple[str, Callable[[], Any], int, str]] = [
        ("query", lambda: schema["/query_status"]["GET"].Case(query={"hours": 1}), 200,
         "query_success"),
        ("get", lambda: schema["/job/{job_id}"]["GET"].Case(path_parameters={"job_id": job_id}),
         200, "job_found"),
        ("dry run", lambda: schema["/submit_job"]["POST"].Case(body=body, query={"dry_run": "1"}),
         200, "dry_run"),
        ("delete", lambda: schema["/job/{job_id}"]["DELETE"].Case(
            path_parameters={"job_id": job_id}), 200, "cancel_success"),
        ("again", lambda: schema["/cancel_job"]["POST"].Case(body={"jobid": job_id}), 409,
         "job_already_finished"),
        ("missing", lambda: schema["/job/{job_id}"]["GET"].Case(
            path_parameters={"job_id": str(NEVER_A_JOB)}), 404, "job_not_found"),
    ]
    for name, make, status, reason in calls:
        response = send(make(), fuzz_run)
        answer = response.json()
        assert (response.status_code, answer.get("reason")) == (status, reason), (name, answer)
    query = send(schema["/query_status"]["GET"].Case(query={"hours": 1}), fuzz_run).json()
    assert job_id in query, "the job is missing from query_status"


def test_idempotent_submission_conforms(schema: Any, fuzz_run: FuzzRun) -> None:
    """The same key and body: one job, then a replay; the same key, another body: 409."""
    key = f"openapi-fuzz:{uuid.uuid4().hex}"  # the server remembers keys across runs
    body = {"partition": "norm", "script-body": "#!/bin/bash\necho idem\n", "hold": True}
    operation = schema["/submit_job"]["POST"]
    first = send(operation.Case(body=body, headers={"Idempotency-Key": key}), fuzz_run).json()
    again = send(operation.Case(body=body, headers={"Idempotency-Key": key}), fuzz_run).json()
    assert again.get("idempotent_replay") is True and again["jobid"] == first["jobid"], again
    other = {**body, "job-name": "different"}
    response = send(operation.Case(body=other, headers={"Idempotency-Key": key}), fuzz_run)
    assert (response.status_code, response.json()["reason"]) == (409, "idempotency_key_reused")


def test_served_document_is_the_file(stack: dict[str, str]) -> None:
    """GET /hpcapi/openapi.json answers the file this test is driven by, without Kerberos."""
    import requests

    response = requests.get(
        f"{stack['HPCAPI_URL']}/openapi.json", verify=stack["REQUESTS_CA_BUNDLE"], timeout=30
    )
    assert response.status_code == 200, response.text[:300]
    assert response.json() == DOCUMENT


def test_no_unexpected_server_errors(fuzz_run: FuzzRun) -> None:
    """Runs last in this module: the backend was healthy, so no 5xx at all was expected."""
    assert not fuzz_run.server_errors, fuzz_run.server_errors
