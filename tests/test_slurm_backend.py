"""Tests for hpcapi.slurm.backend: choosing the slurmrestd API version, and ping."""

from __future__ import annotations

import jwt
import pytest
import requests
from conftest import JWT_KEY, PING_BODY, SLURMRESTD_URL, FakeSlurmrestd, openapi_spec

from hpcapi.slurm.backend import SUPPORTED_VERSIONS, SlurmBackend, choose_version
from hpcapi.slurm.client import SlurmrestClient, SlurmUser, versions_in_spec
from hpcapi.slurm.errors import (
    SlurmrestRejectedError,
    SlurmrestUnavailableError,
    SlurmrestVersionError,
)
from hpcapi.slurm.token import TokenMinter

PROBE = SlurmUser("nobody", 65534)
ALICE = SlurmUser("alice", 1001)
PING = "/slurm/v0.0.38/ping"


def make_backend(session: requests.Session, configured: str = "auto") -> SlurmBackend:
    client = SlurmrestClient(
        SLURMRESTD_URL, TokenMinter(JWT_KEY, 60, min_uid=1000), timeout=2.0, session=session
    )
    return SlurmBackend(client, configured, PROBE)


# --- choose_version -----------------------------------------------------------------------------


def test_supported_versions_include_v0_0_38() -> None:
    assert "v0.0.38" in SUPPORTED_VERSIONS


def test_auto_picks_the_newest_supported_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "hpcapi.slurm.backend.SUPPORTED_VERSIONS", ("v0.0.37", "v0.0.38", "v0.0.39")
    )
    assert choose_version("auto", {"v0.0.36", "v0.0.37", "v0.0.38"}) == "v0.0.38"
    assert choose_version("auto", {"v0.0.37", "v0.0.39", "v0.0.40"}) == "v0.0.39"


def test_auto_compares_versions_numerically(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hpcapi.slurm.backend.SUPPORTED_VERSIONS", ("v0.0.9", "v0.0.10"))
    assert choose_version("auto", {"v0.0.9", "v0.0.10"}) == "v0.0.10"


def test_auto_on_a_slurm_22_05_server() -> None:
    assert choose_version("auto", {"v0.0.36", "v0.0.37", "v0.0.38"}) == "v0.0.38"


def test_auto_with_nothing_in_common_is_refused() -> None:
    with pytest.raises(SlurmrestVersionError) as caught:
        choose_version("auto", {"v0.0.40", "v0.0.41"})
    assert "v0.0.40, v0.0.41" in caught.value.message
    assert "none in common" in caught.value.message


def test_auto_with_nothing_offered_is_refused() -> None:
    with pytest.raises(SlurmrestVersionError, match="offers API versions none"):
        choose_version("auto", set())


def test_configured_version_offered_is_used() -> None:
    assert choose_version("v0.0.38", {"v0.0.37", "v0.0.38"}) == "v0.0.38"


def test_configured_version_not_offered_names_what_the_server_offers() -> None:
    with pytest.raises(SlurmrestVersionError) as caught:
        choose_version("v0.0.38", {"v0.0.41", "v0.0.40", "v0.0.39"})
    message = caught.value.message
    assert "api_version = v0.0.38 is not offered" in message
    assert message.endswith("offers v0.0.39, v0.0.40, v0.0.41")


@pytest.mark.parametrize("configured", ["v0.0.36", "v0.0.37", "v0.0.99"])
def test_unsupported_configured_version_is_refused(configured: str) -> None:
    # Refused even when the server offers it: hpcapi cannot speak it.
    with pytest.raises(SlurmrestVersionError, match=f"{configured} is not supported by hpcapi"):
        choose_version(configured, {"v0.0.36", "v0.0.37", "v0.0.38", "v0.0.99"})


# --- versions_in_spec ---------------------------------------------------------------------------


def test_versions_in_spec_reads_slurm_paths() -> None:
    spec = {
        "paths": {
            "/openapi/v3": {},
            "/slurm/v0.0.38/ping/": {},
            "/slurm/v0.0.38/jobs/": {},
            "/slurmdb/v0.0.38/jobs/": {},
            "/slurm/v0.0.37/diag/": {},
        }
    }
    assert versions_in_spec(spec) == {"v0.0.37", "v0.0.38"}


def test_versions_in_spec_ignores_slurmdb_only_versions() -> None:
    spec = {"paths": {"/slurmdb/v0.0.39/jobs/": {}, "/slurm/v0.0.38/ping/": {}}}
    assert versions_in_spec(spec) == {"v0.0.38"}


def test_versions_in_spec_without_paths() -> None:
    assert versions_in_spec({}) == set()
    assert versions_in_spec({"paths": {"/slurm/ping": {}, "/xslurm/v0.0.38/": {}}}) == set()


# --- detection ----------------------------------------------------------------------------------


def test_detect_version_asks_the_openapi_document_as_the_probe_user(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    backend = make_backend(slurm_session)
    assert backend.detect_version() == "v0.0.38"
    (sent,) = fake_slurmrestd.requests_to("/openapi/v3")
    assert sent.headers["X-SLURM-USER-NAME"] == "nobody"
    claims = jwt.decode(sent.headers["X-SLURM-USER-TOKEN"], JWT_KEY, algorithms=["HS256"])
    assert claims["sun"] == "nobody"


def test_detect_version_refuses_a_configured_version_the_server_lacks(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.40", "v0.0.41"))
    with pytest.raises(SlurmrestVersionError, match="offers v0.0.40, v0.0.41"):
        make_backend(slurm_session, "v0.0.38").detect_version()


def test_api_version_is_detected_once(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    backend = make_backend(slurm_session)
    assert backend.api_version == "v0.0.38"
    assert backend.api_version == "v0.0.38"
    assert len(fake_slurmrestd.requests_to("/openapi/v3")) == 1


# --- ping ---------------------------------------------------------------------------------------


def test_ping_reports_version_latency_and_controllers(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    result = make_backend(slurm_session).ping(ALICE)
    assert set(result) == {"api_version", "latency_ms", "controllers"}
    assert result["api_version"] == "v0.0.38"
    assert isinstance(result["latency_ms"], float) and result["latency_ms"] >= 0
    assert result["controllers"] == [{"hostname": "vm", "status": "UP"}]
    (sent,) = fake_slurmrestd.requests_to(PING)
    assert sent.headers["X-SLURM-USER-NAME"] == "alice"


def test_ping_detects_the_version_first_when_start_up_could_not(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    backend = make_backend(slurm_session)
    fake_slurmrestd.fail("GET", "/openapi/v3", requests.exceptions.ConnectionError)
    with pytest.raises(SlurmrestUnavailableError):
        backend.ping(ALICE)
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.38"))
    assert backend.ping(ALICE)["api_version"] == "v0.0.38"


def test_ping_with_two_controllers_and_odd_entries(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    body = {
        "errors": [],
        "pings": [
            {"hostname": "ctl1", "ping": "UP", "status": 0, "mode": "primary"},
            "garbage",
            {"hostname": "ctl2", "ping": "DOWN", "status": -1, "mode": "backup"},
        ],
    }
    fake_slurmrestd.answer_json("GET", PING, body)
    assert make_backend(slurm_session).ping(ALICE)["controllers"] == [
        {"hostname": "ctl1", "status": "UP"},
        {"hostname": "ctl2", "status": "DOWN"},
    ]


def test_ping_without_pings_has_no_controllers(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", PING, {"errors": [], "pings": None})
    assert make_backend(slurm_session).ping(ALICE)["controllers"] == []


def test_ping_raises_on_errors_in_a_200_answer(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    errors = [{"error_number": 1007, "error": "Protocol authentication error"}]
    fake_slurmrestd.answer_json("GET", PING, {**PING_BODY, "errors": errors})
    with pytest.raises(SlurmrestRejectedError) as caught:
        make_backend(slurm_session).ping(ALICE)
    assert caught.value.slurm_errors == errors
    assert caught.value.message == "Protocol authentication error [slurm error 1007]"


def test_ping_raises_on_a_500_with_errors(
    slurm_session: requests.Session, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # What an expired or badly signed token gets (NOTES.md 2e).
    errors = [
        {
            "description": "slurmctld config is unable to load",
            "error_number": -1,
            "error": "Unspecified error",
            "source": "slurm_load_ctl_conf",
        }
    ]
    fake_slurmrestd.answer_json("GET", PING, {"errors": errors}, status=500)
    with pytest.raises(SlurmrestRejectedError, match="slurmctld config is unable to load"):
        make_backend(slurm_session).ping(ALICE)
