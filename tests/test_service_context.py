"""Tests for start-up (hpcapi/service/context.py): the Services a worker builds once, and how it
detects the slurmrestd API version."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import AppFactory, FakeSlurmrestd, make_server_config, openapi_spec
from flask import Flask

from hpcapi.config import ConfigError
from hpcapi.errors import HpcapiError
from hpcapi.service.context import PROBE_USER, probe_identity
from hpcapi.slurm.errors import SlurmrestAuthError, SlurmrestVersionError
from hpcapi.slurm.transport import ConnectFailed
from tests.slurm_answers import V44, make_services, serve_v0044
from tests.web_helpers import assert_failure

# --- start-up -----------------------------------------------------------------------------------


def test_start_up_detects_the_version_as_nobody(
    app: Flask, fake_slurmrestd: FakeSlurmrestd
) -> None:
    (sent,) = fake_slurmrestd.requests_to("/openapi/v3")
    assert sent.headers["X-SLURM-USER-NAME"] == "nobody"
    assert app.extensions["hpcapi"].backend.api_version == "v0.0.38"


def test_start_up_without_detection_makes_no_call(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    make_app(detect_version=False)
    assert fake_slurmrestd.requests == []


def test_start_up_with_slurmrestd_down_then_ping_works_when_it_is_back(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.fail("GET", "/openapi/v3", ConnectFailed)
    client = make_app().test_client()
    assert_failure(client.get("/hpcapi/ping"), 503, "backend_unavailable")
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.38"))
    response = client.get("/hpcapi/ping")
    assert response.status_code == 200
    assert response.get_json()["backend"]["api_version"] == "v0.0.38"


def test_start_up_stops_on_a_version_mismatch(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.39", "v0.0.45"))
    with pytest.raises(SlurmrestVersionError, match="none in common"):
        make_app()


def test_start_up_stops_when_slurmrestd_refuses_the_key(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd
) -> None:
    fake_slurmrestd.answer_text("GET", "/openapi/v3", "Authentication failure", 401)
    with pytest.raises(SlurmrestAuthError):
        make_app()


# --- build_services -----------------------------------------------------------------------------


def test_build_services_takes_the_config_it_is_given(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    config = make_server_config(allowed_partitions=("quick", "gpu"))
    svc = make_services(slurm_transport, config)
    assert svc.config is config
    assert svc.submit_policy.allowed_partitions == ("quick", "gpu")
    assert svc.backend.api_version == "v0.0.38"
    assert len(fake_slurmrestd.requests_to("/openapi/v3")) == 1  # detected once, at start-up


def test_build_services_picks_the_newest_version_offered(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_v0044(fake_slurmrestd)
    assert make_services(slurm_transport).backend.api_version == V44


def test_a_configured_version_is_kept_when_offered(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    serve_v0044(fake_slurmrestd)
    svc = make_services(slurm_transport, make_server_config(api_version="v0.0.43"))
    assert svc.backend.api_version == "v0.0.43"


def test_the_probe_user_is_the_unprivileged_nobody(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    svc = make_services(slurm_transport, detect_version=False)
    assert PROBE_USER == "nobody"
    assert svc.probe_user == probe_identity()
    assert svc.probe_user.local_user == "nobody"
    assert svc.probe_user.principal == ""
    assert svc.probe_user.uid != 0


def test_slurmrestd_down_at_start_up_is_logged_not_raised(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_slurmrestd.fail("GET", "/openapi/v3", ConnectFailed)
    with caplog.at_level(logging.WARNING, logger="hpcapi"):
        svc = make_services(slurm_transport)
    assert any("cannot detect the slurmrestd API version yet" in r.getMessage()
               for r in caplog.records)
    fake_slurmrestd.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.38"))
    assert svc.backend.api_version == "v0.0.38"  # detected on first use


def test_the_identity_policy_follows_the_config(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd
) -> None:
    # build_services' own resolver looks accounts up in the real passwd: root is always there,
    # and always refused (uid 0 is below min_uid).
    svc = make_services(slurm_transport, detect_version=False)
    with pytest.raises(HpcapiError) as caught:
        svc.identities.resolve("root@HPCAPI.TEST")
    assert caught.value.code.code == "principal_not_allowed"
    with pytest.raises(HpcapiError) as caught:
        svc.identities.resolve("nobody@ELSEWHERE.TEST")
    assert caught.value.code.code == "principal_not_allowed"


def test_an_unusable_state_directory_stops_start_up(
    slurm_transport: FakeSlurmrestd, fake_slurmrestd: FakeSlurmrestd, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-directory"
    with pytest.raises(ConfigError, match=r"\[state\] directory = .*no-such-directory"):
        make_services(slurm_transport, make_server_config(state_directory=str(missing)),
                      detect_version=False)
