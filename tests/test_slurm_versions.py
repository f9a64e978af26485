"""Tests for hpcapi.slurm.versions: which API version to use with a given slurmrestd."""

from __future__ import annotations

import pytest

from hpcapi.slurm.errors import SlurmrestVersionError
from hpcapi.slurm.versions import SUPPORTED_API_VERSIONS, choose_version, versions_in_spec

# --- choose_version -----------------------------------------------------------------------------


def test_supported_versions_include_v0_0_38() -> None:
    assert "v0.0.38" in SUPPORTED_API_VERSIONS


def test_auto_picks_the_newest_supported_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "hpcapi.slurm.versions.SUPPORTED_API_VERSIONS", ("v0.0.37", "v0.0.38", "v0.0.39")
    )
    assert choose_version("auto", {"v0.0.36", "v0.0.37", "v0.0.38"}) == "v0.0.38"
    assert choose_version("auto", {"v0.0.37", "v0.0.39", "v0.0.40"}) == "v0.0.39"


def test_auto_compares_versions_numerically(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hpcapi.slurm.versions.SUPPORTED_API_VERSIONS", ("v0.0.9", "v0.0.10"))
    assert choose_version("auto", {"v0.0.9", "v0.0.10"}) == "v0.0.10"


def test_auto_on_a_slurm_22_05_server() -> None:
    assert choose_version("auto", {"v0.0.36", "v0.0.37", "v0.0.38"}) == "v0.0.38"


def test_auto_with_nothing_in_common_is_refused() -> None:
    with pytest.raises(SlurmrestVersionError) as caught:
        choose_version("auto", {"v0.0.39", "v0.0.45"})
    assert "v0.0.39, v0.0.45" in caught.value.message
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



def test_supported_versions_are_the_six() -> None:
    assert SUPPORTED_API_VERSIONS == (
        "v0.0.38", "v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44"
    )


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        ({"v0.0.37", "v0.0.38", "v0.0.39"}, "v0.0.38"),  # Slurm 23.02
        ({"v0.0.39", "v0.0.40"}, "v0.0.40"),  # 23.11
        ({"v0.0.39", "v0.0.40", "v0.0.41"}, "v0.0.41"),  # 24.05
        ({"v0.0.40", "v0.0.41", "v0.0.42"}, "v0.0.42"),  # 24.11
        ({"v0.0.41", "v0.0.42", "v0.0.43"}, "v0.0.43"),  # 25.05
        ({"v0.0.42", "v0.0.43", "v0.0.44"}, "v0.0.44"),  # 25.11
    ],
)
def test_auto_on_each_slurm_release(offered: set[str], chosen: str) -> None:
    assert choose_version("auto", offered) == chosen
