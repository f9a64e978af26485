"""Tests for hpcapi.slurm.client: one call to slurmrestd, and how each failure is classified.

slurmrestd is faked at the HTTP transport (conftest.FakeSlurmrestd); the answers follow what
slurmrestd 22.05 (API v0.0.38) gave in notes/slurm/NOTES.md, "2e: error behaviours".
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from conftest import JWT_KEY, PING_BODY, SLURMRESTD_URL, FakeSlurmrestd

from hpcapi.model import Identity
from hpcapi.slurm.client import (
    SlurmrestClient,
    describe_slurm_errors,
    slurm_errors,
)
from hpcapi.slurm.errors import (
    SlurmrestAuthError,
    SlurmrestError,
    SlurmrestProtocolError,
    SlurmrestRejectedError,
    SlurmrestTimeoutError,
    SlurmrestUnavailableError,
)
from hpcapi.slurm.token import TokenMinter
from hpcapi.slurm.transport import (
    ConnectFailed,
    ConnectTimedOut,
    ExchangeBroken,
    ReadTimedOut,
    TransportError,
)

PING = "/slurm/v0.0.38/ping"
ALICE = Identity("alice@HPCAPI.TEST", "alice", 1001, 1001, "/home/alice", "/bin/bash")
BOB = Identity("bob@HPCAPI.TEST", "bob", 1002, 1002, "/home/bob", "/bin/bash")
ROOT = Identity("root@HPCAPI.TEST", "root", 0, 0, "/root", "/bin/bash")

# errors[] exactly as slurmrestd v0.0.38 answered them (NOTES.md 2e)
BAD_PARTITION = [{"error_code": 2000, "error": "Invalid partition name specified"}]
EXPIRED_TOKEN_PING = [
    {
        "description": "slurmctld config is unable to load",
        "error_number": -1,
        "error": "Unspecified error",
        "source": "slurm_load_ctl_conf",
    }
]
BAD_TASKS = [
    {"error": "Unable to read integer value", "error_code": 9202},
    {"description": 'Unable to process key "tasks"', "error_code": 9202},
    {"error_code": 9001, "error": "Failure during parsing"},
]


@pytest.fixture
def slurm_client(slurm_transport: FakeSlurmrestd) -> SlurmrestClient:
    minter = TokenMinter(JWT_KEY, 60, min_uid=1000)
    return SlurmrestClient(SLURMRESTD_URL + "/", minter, timeout=3.5, transport=slurm_transport)


def call_error(client: SlurmrestClient, path: str = PING) -> SlurmrestError:
    with pytest.raises(SlurmrestError) as caught:
        client.call("GET", path, ALICE)
    return caught.value


# --- success ------------------------------------------------------------------------------------


def test_success_is_decoded(slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd) -> None:
    answer = slurm_client.call("GET", PING, ALICE)
    assert answer.status == 200
    assert answer.body == PING_BODY
    assert answer.elapsed_ms >= 0
    assert len(fake_slurmrestd.requests_to(PING)) == 1


def test_request_acts_as_the_user(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    slurm_client.call("GET", PING, BOB)
    (sent,) = fake_slurmrestd.requests_to(PING)
    assert sent.url == SLURMRESTD_URL + PING
    assert sent.headers["X-SLURM-USER-NAME"] == "bob"
    assert sent.headers["Accept"] == "application/json"
    claims = jwt.decode(sent.headers["X-SLURM-USER-TOKEN"], JWT_KEY, algorithms=["HS256"])
    assert claims["sun"] == "bob"
    assert 0 < claims["exp"] - claims["iat"] <= 60


def test_no_other_credentials_are_sent(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    slurm_client.call("GET", PING, ALICE)
    (sent,) = fake_slurmrestd.requests_to(PING)
    assert "Authorization" not in sent.headers
    assert "Cookie" not in sent.headers


def test_params_body_and_timeout_are_passed(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("POST", "/slurm/v0.0.38/job/submit", {"job_id": 7, "errors": []})
    answer = slurm_client.call(
        "POST", "/slurm/v0.0.38/job/submit", ALICE, params={"a": "1"}, body={"script": "x"}
    )
    assert answer.body["job_id"] == 7
    sent = fake_slurmrestd.requests[-1]
    assert sent.url == SLURMRESTD_URL + "/slurm/v0.0.38/job/submit?a=1"
    assert sent.body == b'{"script": "x"}'
    assert sent.headers["Content-Type"] == "application/json"
    assert fake_slurmrestd.timeouts[-1] == (3.5, 3.5)


def test_no_token_is_minted_for_root(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    with pytest.raises(PermissionError):
        slurm_client.call("GET", PING, ROOT)
    assert fake_slurmrestd.requests == []


# --- transport failures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ConnectFailed, SlurmrestUnavailableError),
        (ConnectTimedOut, SlurmrestUnavailableError),
        (ReadTimedOut, SlurmrestTimeoutError),
        (ReadTimedOut, SlurmrestTimeoutError),
    ],
)
def test_transport_failures_are_classified(
    slurm_client: SlurmrestClient,
    fake_slurmrestd: FakeSlurmrestd,
    exc: type[TransportError],
    expected: type[SlurmrestError],
) -> None:
    fake_slurmrestd.fail("GET", PING, exc)
    error = call_error(slurm_client)
    assert type(error) is expected
    assert SLURMRESTD_URL in error.message or "3.5 s" in error.message


@pytest.mark.parametrize(("cut_by", "expected", "words"), [
    (ExchangeBroken("IncompleteRead"), SlurmrestUnavailableError,
     f"failed while answering GET {PING}"),
    (ReadTimedOut("timed out"), SlurmrestTimeoutError,
     f"did not finish answering GET {PING} within 3.5 s"),
])
def test_failures_while_reading_the_answer_are_classified(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd, cut_by: TransportError,
    expected: type[SlurmrestError], words: str,
) -> None:
    # slurmrestd dying (or stalling) after the head of its answer, before the end of the body.
    fake_slurmrestd.answer_cut("GET", PING, b'{"pings": [', cut_by)
    with pytest.raises(expected, match=words):
        slurm_client.call("GET", PING, ALICE)


def test_read_timeout_message_names_the_call(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.fail("GET", PING, ReadTimedOut)
    assert call_error(slurm_client).message == f"slurmrestd did not answer GET {PING} within 3.5 s"


# --- answers that are failures ------------------------------------------------------------------


def test_401_authentication_failure_is_an_auth_error(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_text("GET", PING, "Authentication failure", status=401)
    error = call_error(slurm_client)
    assert type(error) is SlurmrestAuthError
    assert "JWT key" in error.message


def test_403_is_an_auth_error(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", PING, {"errors": []}, status=403)
    assert type(call_error(slurm_client)) is SlurmrestAuthError


@pytest.mark.parametrize(
    ("errors", "message"),
    [
        (BAD_PARTITION, "Invalid partition name specified [slurm error 2000]"),
        (
            EXPIRED_TOKEN_PING,
            "slurmctld config is unable to load (Unspecified error) [slurm error -1]",
        ),
    ],
)
def test_500_with_errors_is_rejected_with_slurms_message(
    slurm_client: SlurmrestClient,
    fake_slurmrestd: FakeSlurmrestd,
    errors: list[dict[str, Any]],
    message: str,
) -> None:
    fake_slurmrestd.answer_json("GET", PING, {"meta": {}, "errors": errors}, status=500)
    error = call_error(slurm_client)
    assert type(error) is SlurmrestRejectedError
    assert error.message == message
    assert error.slurm_errors == errors


def test_500_json_without_errors_is_rejected_with_the_status(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", PING, {"meta": {}}, status=500)
    error = call_error(slurm_client)
    assert type(error) is SlurmrestRejectedError
    assert error.message == "slurmrestd answered HTTP 500"


def test_400_unable_to_parse_query_is_rejected(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_text("GET", PING, "Unable to parse query.\n", status=400)
    error = call_error(slurm_client)
    assert type(error) is SlurmrestRejectedError
    assert error.message == "slurmrestd answered HTTP 400: Unable to parse query."


def test_400_json_errors_are_joined(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", PING, {"errors": BAD_TASKS}, status=400)
    error = call_error(slurm_client)
    assert type(error) is SlurmrestRejectedError
    assert error.message == (
        "Unable to read integer value [slurm error 9202]; "
        'Unable to process key "tasks" [slurm error 9202]; '
        "Failure during parsing [slurm error 9001]"
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (502, SlurmrestUnavailableError),
        (503, SlurmrestUnavailableError),
        (504, SlurmrestTimeoutError),
    ],
)
def test_proxy_statuses_are_outages(
    slurm_client: SlurmrestClient,
    fake_slurmrestd: FakeSlurmrestd,
    status: int,
    expected: type[SlurmrestError],
) -> None:
    fake_slurmrestd.answer_text("GET", PING, "<html>Bad Gateway</html>", status, "text/html")
    assert type(call_error(slurm_client)) is expected


def test_proxy_status_wins_over_a_json_body(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", PING, {"errors": BAD_PARTITION}, status=503)
    assert type(call_error(slurm_client)) is SlurmrestUnavailableError


def test_slurmdbd_unreachable_is_an_outage_that_keeps_slurms_message(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    errors = [{"description": "Failed to open slurmdbd connection", "error_number": 7000,
               "error": "Unable to connect to database", "source": "openapi_slurmdbd"}]
    fake_slurmrestd.answer_json("GET", PING, {"errors": errors}, status=502)
    error = call_error(slurm_client)
    assert type(error) is SlurmrestUnavailableError
    assert "Failed to open slurmdbd connection" in error.message
    assert error.slurm_errors == errors


@pytest.mark.parametrize("status", [502, 511])
def test_a_refused_token_is_an_auth_error_not_an_outage(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd, status: int
) -> None:
    # 25.11.7: 502 error 7000 on /slurmdb/, 511 error 1007 on /slurm/.
    description = ("Failed to open slurmdbd connection, authentication error" if status == 502
                   else "Protocol authentication error")
    errors = [{"description": description, "error_number": 7000 if status == 502 else 1007,
               "error": "x", "source": "y"}]
    fake_slurmrestd.answer_json("GET", PING, {"errors": errors}, status=status)
    assert type(call_error(slurm_client)) is SlurmrestAuthError


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>hello</body></html>", "text/html"),
        ('{"errors": []}', None),
        ("", None),
    ],
)
def test_200_that_is_not_json_is_a_protocol_error(
    slurm_client: SlurmrestClient,
    fake_slurmrestd: FakeSlurmrestd,
    body: str,
    content_type: str | None,
) -> None:
    fake_slurmrestd.answer_text("GET", PING, body, 200, content_type)
    assert type(call_error(slurm_client)) is SlurmrestProtocolError


@pytest.mark.parametrize("body", ['{"errors": [', "", "not json at all", "{'single': 1}"])
def test_200_malformed_json_is_a_protocol_error(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd, body: str
) -> None:
    fake_slurmrestd.answer_text("GET", PING, body, 200, "application/json")
    error = call_error(slurm_client)
    assert type(error) is SlurmrestProtocolError
    assert error.message == "slurmrestd answered malformed JSON"


@pytest.mark.parametrize("body", [[], [PING_BODY], "pong", 42, None])
def test_200_json_that_is_not_an_object_is_a_protocol_error(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd, body: Any
) -> None:
    fake_slurmrestd.answer_json("GET", PING, body)
    error = call_error(slurm_client)
    assert type(error) is SlurmrestProtocolError
    assert error.message == "slurmrestd answered JSON that is not an object"


def test_redirect_is_not_followed(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_text("GET", PING, "", 302, None)
    assert type(call_error(slurm_client)) is SlurmrestProtocolError
    assert len(fake_slurmrestd.requests) == 1


def test_200_with_errors_is_returned_for_the_caller_to_judge(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # /slurmdb answers an expired token with 200 and errors[] (NOTES.md 2e).
    body = {"errors": [{"error_number": 1007, "error": "Protocol authentication error"}]}
    fake_slurmrestd.answer_json("GET", "/slurmdb/v0.0.38/jobs", body)
    assert slurm_client.call("GET", "/slurmdb/v0.0.38/jobs", ALICE).body == body


# --- slurm_errors and describe_slurm_errors -----------------------------------------------------


def test_slurm_errors_tolerates_odd_shapes() -> None:
    assert slurm_errors({}) == []
    assert slurm_errors({"errors": None}) == []
    assert slurm_errors({"errors": "boom"}) == []
    assert slurm_errors({"errors": ["boom", {"error": "x"}]}) == [{"error": "x"}]


def test_describe_slurm_errors_without_errors() -> None:
    assert describe_slurm_errors({}, 500) == "slurmrestd answered HTTP 500"
    assert describe_slurm_errors({"errors": []}) == "slurmrestd reported an error"


def test_describe_slurm_errors_omits_zero_codes_and_repeats() -> None:
    body = {"errors": [{"error": "Nothing", "error_code": 0}, {"description": "d", "error": "d"}]}
    assert describe_slurm_errors(body) == "Nothing; d"


# slurmctld killed: slurmrestd answers the submission 500 with a communication error (Slurm's
# 1000s and 5000s, or a socket errno: 104 ECONNRESET, 111, 110, 32), an outage; Slurm's verdict
# on the request itself (ENOENT, EINVAL, "Invalid partition name specified", "Invalid job id",
# a parsing error) stays a refusal.
@pytest.mark.parametrize(
    ("number", "expected"),
    [(n, SlurmrestUnavailableError) for n in (1001, 1800, 5005, 104, 111, 110, 32)]
    + [(n, SlurmrestRejectedError) for n in (2, 22, 2002, 2011, 9000)],
)
def test_an_error_reaching_slurm_is_an_outage_and_a_verdict_a_refusal(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd, number: int,
    expected: type[Exception],
) -> None:
    body = {"errors": [{"error_code": number, "error": "Slurm's message"}]}
    fake_slurmrestd.answer_json("POST", "/slurm/v0.0.38/job/submit", body, status=500)
    with pytest.raises(expected):
        slurm_client.call("POST", "/slurm/v0.0.38/job/submit", ALICE, body={})


def test_a_refused_token_on_500_stays_a_refusal(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    body = {"errors": [{"error_number": 1007, "error": "Protocol authentication error"}]}
    fake_slurmrestd.answer_json("GET", "/slurm/v0.0.38/jobs", body, status=500)
    with pytest.raises(SlurmrestRejectedError):
        slurm_client.call("GET", "/slurm/v0.0.38/jobs", ALICE)


# --- lists, read one record at a time -----------------------------------------------------------

JOBS = "/slurmdb/v0.0.38/jobs"


def test_a_listing_reads_each_record(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json(
        "GET", JOBS, {"meta": {}, "errors": [], "jobs": [{"job_id": 5}, {"job_id": 6}]}
    )
    answer, ids = slurm_client.call_listing(
        JOBS, ALICE, "jobs", lambda job: job["job_id"], params={"groups": "1001"}
    )
    assert ids == [5, 6]
    assert answer.body == {"meta": {}, "errors": []}
    (request,) = fake_slurmrestd.requests_to(JOBS)
    assert request.headers["X-SLURM-USER-NAME"] == "alice"
    assert "groups=1001" in (request.url or "")


def test_a_listing_waits_its_own_read_timeout(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    minter = TokenMinter(JWT_KEY, 60, min_uid=1000)
    client = SlurmrestClient(SLURMRESTD_URL, minter, timeout=3.5, transport=slurm_transport,
                             list_timeout=40.0)
    fake_slurmrestd.answer_json("GET", JOBS, {"jobs": []})
    fake_slurmrestd.answer_json("GET", PING, {"pings": []})
    client.call_listing(JOBS, ALICE, "jobs", dict)
    assert fake_slurmrestd.timeouts[-1] == (3.5, 40.0)
    client.call("GET", PING, ALICE)
    assert fake_slurmrestd.timeouts[-1] == (3.5, 3.5)
    fake_slurmrestd.fail("GET", JOBS, ReadTimedOut)
    with pytest.raises(SlurmrestError, match=f"GET {JOBS} within 40 s"):
        client.call_listing(JOBS, ALICE, "jobs", dict)


@pytest.mark.parametrize("body", ['{"jobs": [{}', "", '{"jobs": [{}]} trailing', "[]",
                                  '{"jobs": [{"a": 1}] "errors": []}'])
def test_a_malformed_listing_is_a_protocol_error(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd, body: str
) -> None:
    fake_slurmrestd.answer_text("GET", JOBS, body, 200, "application/json")
    with pytest.raises(SlurmrestProtocolError, match="malformed JSON"):
        slurm_client.call_listing(JOBS, ALICE, "jobs", dict)


def test_a_listing_that_is_not_utf8_is_a_protocol_error(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_text("GET", JOBS, b'{"jobs": [{"name": "\xff"}]}', 200,
                                "application/json")
    with pytest.raises(SlurmrestProtocolError, match="malformed JSON"):
        slurm_client.call_listing(JOBS, ALICE, "jobs", dict)


def test_a_listing_that_is_not_json_is_a_protocol_error(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_text("GET", JOBS, "<html>", 200, "text/html")
    with pytest.raises(SlurmrestProtocolError, match="text/html"):
        slurm_client.call_listing(JOBS, ALICE, "jobs", dict)


def test_a_refused_listing_is_classified_as_any_call(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", JOBS, {"errors": BAD_PARTITION}, status=500)
    with pytest.raises(SlurmrestRejectedError, match="Invalid partition"):
        slurm_client.call_listing(JOBS, ALICE, "jobs", dict)
    fake_slurmrestd.answer_json("GET", JOBS, {"errors": [{"error_number": 1800}]}, status=500)
    with pytest.raises(SlurmrestUnavailableError):
        slurm_client.call_listing(JOBS, ALICE, "jobs", dict)


@pytest.mark.parametrize(("cut_by", "expected", "words"), [
    (ExchangeBroken("Connection broken"), SlurmrestUnavailableError,
     "failed while answering"),
    (ReadTimedOut("Read timed out."), SlurmrestTimeoutError,
     "did not finish answering GET /slurmdb/v0.0.38/jobs within 3.5 s"),
])
def test_a_listing_cut_off_mid_answer_is_classified(
    slurm_client: SlurmrestClient, fake_slurmrestd: FakeSlurmrestd, cut_by: TransportError,
    expected: type[SlurmrestError], words: str,
) -> None:
    """Records read before the cut are not taken as the whole list."""
    fake_slurmrestd.answer_cut("GET", JOBS, b'{"jobs": [{"job_id": 5}, {"jo', cut_by)
    with pytest.raises(expected, match=words):
        slurm_client.call_listing(JOBS, ALICE, "jobs", dict)
