"""Tests for hpcapi.client.api: requests, answers, errors and the retry policy."""

from __future__ import annotations

import json

import pytest

from hpcapi.client.api import HpcapiClient, encode_submit_body, job_records
from hpcapi.client.errors import ApiError, AuthenticationError, UnreachableError
from hpcapi.client.transport import TransportFailure
from hpcapi.protocol import MAX_BODY_BYTES
from tests.client_fakes import FakeTransport, output_part

URL = "https://hpcapi.test/hpcapi"
OK_SUBMIT = (200, {"status": "call_success", "jobid": "42", "sbatch_lines_removed": 0,
                   "reason": "42"})
UNAVAILABLE = (503, {"status": "call_failure", "reason": "backend_unavailable", "message": "x"})
FIELDS = {"partition": "norm", "script-body": "#!/bin/bash\ntrue\n"}


@pytest.fixture
def fake() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeTransport, sleeps: list[float]) -> HpcapiClient:
    return HpcapiClient(URL, transport=fake, sleep=sleeps.append)


def test_get_is_retried_on_503_then_succeeds(
    client: HpcapiClient, fake: FakeTransport, sleeps: list[float]
) -> None:
    fake.add("GET", "whoami", UNAVAILABLE, (502, b"<html>bad gateway</html>"),
             (200, {"status": "call_success", "principal": "alice@R", "reason": "whoami_success"}))
    assert client.whoami()["principal"] == "alice@R"
    assert len(fake.calls("GET", "whoami")) == 3
    assert len(sleeps) == 2 and sleeps[0] <= 0.5 and sleeps[1] <= 1.0


def test_get_retries_are_bounded(client: HpcapiClient, fake: FakeTransport) -> None:
    fake.add("GET", "ping", UNAVAILABLE)
    with pytest.raises(ApiError) as caught:
        client.ping()
    assert caught.value.reason == "backend_unavailable" and caught.value.status == 503
    assert len(fake.calls()) == 4


def test_get_is_retried_on_connection_error(client: HpcapiClient, fake: FakeTransport) -> None:
    fake.add("GET", "partitions", TransportFailure("Connection refused"),
             (200, {"status": "call_success", "reason": "query_success", "partitions": []}))
    assert client.partitions() == []
    assert len(fake.calls()) == 2


def test_connection_errors_end_as_unreachable(client: HpcapiClient, fake: FakeTransport) -> None:
    fake.add("GET", "ping", TransportFailure("Connection refused"))
    with pytest.raises(UnreachableError, match="after 4 attempts"):
        client.ping()


def test_post_without_key_is_sent_once(client: HpcapiClient, fake: FakeTransport) -> None:
    fake.add("POST", "submit_job", UNAVAILABLE, OK_SUBMIT)
    with pytest.raises(ApiError):
        client.submit(FIELDS)
    fake.add("POST", "submit_job", TransportFailure("reset"), OK_SUBMIT)
    with pytest.raises(UnreachableError):
        client.submit(FIELDS)
    assert len(fake.calls("POST")) == 2
    assert "Idempotency-Key" not in fake.calls("POST")[0].headers


def test_post_with_key_is_retried_with_the_same_body(
    client: HpcapiClient, fake: FakeTransport
) -> None:
    fake.add("POST", "submit_job", UNAVAILABLE, TransportFailure("reset"), OK_SUBMIT)
    assert client.submit(FIELDS, idempotency_key="run-1:abc")["jobid"] == "42"
    posts = fake.calls("POST", "submit_job")
    assert len(posts) == 3
    assert {p.headers["Idempotency-Key"] for p in posts} == {"run-1:abc"}
    assert len({p.body for p in posts}) == 1
    assert posts[0].headers["Content-Type"] == "application/json"
    assert posts[0].json() == FIELDS
    assert posts[0].headers["Authorization"].startswith("Negotiate ")


BUSY = (429, {"status": "call_failure", "reason": "too_many_requests", "message": "x"},
        {"Retry-After": "3"})


def test_too_many_requests_is_sent_again_after_retry_after_even_without_a_key(
    client: HpcapiClient, fake: FakeTransport, sleeps: list[float]
) -> None:
    # 429 means nothing of the request was done: even an unkeyed submission is safe to resend.
    fake.add("POST", "submit_job", BUSY, BUSY, OK_SUBMIT)
    assert client.submit(FIELDS)["jobid"] == "42"
    assert len(fake.calls("POST", "submit_job")) == 3
    assert len(sleeps) == 2
    assert all(3.0 <= wait <= 3.25 for wait in sleeps)  # the named wait, a little jitter


def test_too_many_requests_does_not_use_up_the_retries_of_failures(
    client: HpcapiClient, fake: FakeTransport, sleeps: list[float]
) -> None:
    # Four attempts for failures (the fixture's policy), and a 429 between each is not one.
    fake.add("GET", "query_status", BUSY, UNAVAILABLE, BUSY, BUSY, UNAVAILABLE, BUSY,
             UNAVAILABLE, BUSY, (200, {"status": "call_success", "reason": "query_success"}))
    assert client.history()["reason"] == "query_success"
    assert len(fake.calls()) == 9


def test_too_many_requests_without_end_is_the_servers_answer(
    client: HpcapiClient, fake: FakeTransport
) -> None:
    fake.add("GET", "query_status", BUSY)
    with pytest.raises(ApiError) as caught:
        client.history()
    assert (caught.value.reason, caught.value.status) == ("too_many_requests", 429)
    assert len(fake.calls()) == client.retry.throttled_attempts + 1


def test_bad_idempotency_key_is_refused_locally(client: HpcapiClient) -> None:
    with pytest.raises(ValueError):
        client.submit(FIELDS, idempotency_key="has space")


def test_dry_run_sets_the_query(client: HpcapiClient, fake: FakeTransport) -> None:
    fake.add("POST", "submit_job", (200, {"status": "call_success", "reason": "dry_run",
                                          "job": {"partition": "norm"}}))
    assert client.submit(FIELDS, dry_run=True)["reason"] == "dry_run"
    assert fake.calls()[0].query == {"dry_run": ["1"]}


def test_failure_body_becomes_api_error(client: HpcapiClient, fake: FakeTransport) -> None:
    fake.add("GET", "job/7", (404, {"status": "call_failure", "reason": "job_not_found",
                                    "message": "no job 7"}))
    with pytest.raises(ApiError) as caught:
        client.job("7")
    assert (caught.value.reason, caught.value.status) == ("job_not_found", 404)


@pytest.mark.parametrize(
    "answer",
    [
        (401, {"status": "call_failure", "reason": "unauthenticated", "message": "x"}),
        (401, b"<html>401</html>"),
        (403, {"status": "call_failure", "reason": "principal_not_allowed", "message": "x"}),
    ],
)
def test_authentication_failures(client: HpcapiClient, fake: FakeTransport, answer: tuple) -> None:
    fake.add("GET", "whoami", answer)
    with pytest.raises(AuthenticationError):
        client.whoami()
    assert len(fake.calls()) == 1


def test_cancel_history_and_job_paths(client: HpcapiClient, fake: FakeTransport) -> None:
    fake.add("DELETE", "job/42", (200, {"status": "call_success", "reason": "cancel_success",
                                        "jobid": "42"}))
    fake.add("GET", "query_status", (200, {"status": "call_success", "reason": "query_success",
                                           "42": {"state": "RUNNING"}}))
    assert client.cancel("42")["reason"] == "cancel_success"
    assert job_records(client.history(hours=3)) == {"42": {"state": "RUNNING"}}
    assert fake.calls("GET")[0].query == {"hours": ["3"]}
    with pytest.raises(ValueError):
        client.job("../whoami")


def test_big_body_sheds_sbatch_lines_only_when_needed() -> None:
    small = {"partition": "norm", "script-body": "#!/bin/bash\n#SBATCH -n 1\ntrue\n"}
    assert json.loads(encode_submit_body(small)) == small
    script = "#!/bin/bash\n" + "#SBATCH --comment=padding\n" * 200 + "true\n"
    body = encode_submit_body({"partition": "norm", "script-body": script})
    assert len(body) <= MAX_BODY_BYTES
    assert json.loads(body)["script-body"] == "#!/bin/bash\ntrue\n"


def test_follow_output_of_an_array_task_polls_until_the_task_ends_and_its_file_stops(
        client: HpcapiClient, fake: FakeTransport) -> None:
    fake.add("GET", "job/44_3/output", output_part("a\n", 0, 2, False, "44_3"),
             output_part("", 2, 2, False, "44_3"), output_part("b\n", 2, 4, True, "44_3"),
             output_part("", 4, 4, True, "44_3"))
    waits: list[float] = []
    pieces = list(client.follow_output("44_3", sleep=waits.append, poll_seconds=0.5))
    assert pieces == ["a\n", "", "b\n", ""]
    assert [c.query["offset"][0] for c in fake.calls("GET", "job/44_3/output")] == [
        "0", "2", "2", "4"]
    assert waits == [0.5, 0.5, 0.5]
    # Without follow: to the end of the file as it is now, then no more.
    fake.add("GET", "job/45/output", output_part("x", 0, 1, False, "45"))
    assert list(client.follow_output("45", follow=False)) == ["x"]
