"""Generated malformed submissions through Apache: each gets hpcapi's own named 4xx, no job."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hpcapi.core.submit import FIELDS, SubmitPolicy, parse_submit_request
from hpcapi.errors import ErrorCode, HpcapiError
from tests.integration.conftest import slurm_job_ids

pytestmark = pytest.mark.e2e

POLICY = SubmitPolicy(allowed_partitions=("norm", "quick"))
SENT: list[str] = []  # the code expected for each malformed body sent
CODES = {code.code: code.http_status for code in ErrorCode}

json_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=30)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=10,
)
field_values = (
    json_values
    | st.sampled_from(["norm", "quick", "restricted", "", "4G", "0", "-1", "1-2:3", "afterok:1"])
    | st.just("#!/bin/bash\ntrue\n")
)
submit_like = st.dictionaries(
    st.sampled_from(sorted(FIELDS)) | st.text(max_size=12), field_values, max_size=8
)


# A valid body with one field given a random value: reaches every field-specific code.
one_bad_field = st.builds(
    lambda key, value: {"script-body": "#!/bin/bash\ntrue\n", "partition": "norm", key: value},
    st.sampled_from(sorted(FIELDS)),
    field_values,
)


def expected_code(body: object) -> str | None:
    """What hpcapi's own core says of this body; None if it is a valid submission."""
    try:
        parse_submit_request(body, POLICY)
    except HpcapiError as error:
        return error.code.code
    return None


@pytest.fixture(scope="module")
def alice_api(stack):
    from tests.integration.conftest import REALM, Api

    return Api(stack, "alice", f"alice@{REALM}")


@settings(max_examples=550, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
@given(body=one_bad_field | submit_like | json_values)
def test_generated_malformed_bodies_get_named_4xx_and_no_job(alice_api, body):
    expected = expected_code(body)
    payload = json.dumps(body)
    # Only malformed bodies within the size limit count (hypothesis draws more to make up).
    assume(expected is not None and len(payload) <= 4096)
    SENT.append(expected)
    before = slurm_job_ids() if isinstance(body, dict) else None
    response = alice_api.post_json("submit_job", payload)
    assert 400 <= response.status_code < 500, response.text
    answer = response.json()
    assert answer["status"] == "call_failure"
    assert answer["reason"] == expected
    assert CODES[answer["reason"]] == response.status_code
    if before is not None:
        # No new job; jobs of earlier tests may leave slurmctld meanwhile (MinJobAge).
        assert slurm_job_ids() - before == set()


@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(min_size=1, max_size=200))
def test_generated_non_json_bytes_are_parse_errors(alice_api, raw):
    try:
        json.loads(raw.decode("utf-8"))
        return  # happens to be JSON: covered above
    except (UnicodeDecodeError, ValueError):
        pass
    response = alice_api.post_json("submit_job", raw)
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "postdata_parse_error"


def test_at_least_500_malformed_bodies_were_sent():
    # Runs after the property test above (same module, file order).
    assert len(SENT) >= 500, len(SENT)
    assert len(set(SENT)) >= 8, set(SENT)  # and they exercised many different codes
