"""Tests for hpcapi.client.config: layered INI files, the environment, then options."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpcapi.client.config import ClientConfig, load_config
from hpcapi.client.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def layers(tmp_path: Path) -> dict[str, Path]:
    home = tmp_path / "home"
    return {
        "site": tmp_path / "etc" / "client.conf",
        "home": home,
        "user": home / ".config" / "hpcapi" / "client.conf",
        "named": tmp_path / "named.conf",
    }


def test_layers_in_order(layers: dict[str, Path], tmp_path: Path) -> None:
    ca = write(tmp_path / "ca.pem", "x")
    keytab = write(tmp_path / "svc.keytab", "x")
    write(layers["site"], f"[client]\nurl = https://site/hpcapi\nca = {ca}\n")
    write(layers["user"], "[client]\nurl = https://user/hpcapi\nprincipal = me@R\n")
    write(layers["named"], f"[client]\nprincipal = svc@R\nkeytab = {keytab}\n")
    env = {"HOME": str(layers["home"]), "HPCAPI_CLIENT_CONF": str(layers["named"])}
    config = load_config({"url": "https://option/hpcapi"}, env, site_path=layers["site"])
    assert config == ClientConfig(
        url="https://option/hpcapi", principal="svc@R", keytab=str(keytab), ca=str(ca)
    )
    # Without the option, the user file's url wins over the site's.
    assert load_config({}, env, site_path=layers["site"]).url == "https://user/hpcapi"


def test_xdg_config_home_and_hpcapi_url(layers: dict[str, Path], tmp_path: Path) -> None:
    write(tmp_path / "xdg" / "hpcapi" / "client.conf", "[client]\nprincipal = x@R\n")
    env = {"HOME": str(layers["home"]), "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
           "HPCAPI_URL": "https://env/hpcapi"}
    config = load_config({}, env, site_path=layers["site"])
    assert (config.principal, config.url) == ("x@R", "https://env/hpcapi")


def test_missing_optional_files_are_fine(layers: dict[str, Path]) -> None:
    assert load_config({}, {"HOME": str(layers["home"])}, layers["site"]) == ClientConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[client]\nurll = https://x\n", "unknown key 'urll'"),
        ("[server]\nurl = https://x\n", "unknown section [server]"),
        ("url = https://x\n", "not a valid INI file"),
        ("[client]\nurl = http://plain/hpcapi\n", "must be an https:// URL"),
        ("[client]\nkeytab = /nonexistent\nprincipal = a@R\n", "not readable"),
        ("[client]\nkeytab = /etc/hostname\n", "a keytab needs a principal"),
    ],
)
def test_bad_files_are_clear_errors(layers: dict[str, Path], text: str, message: str) -> None:
    write(layers["user"], text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config({}, {"HOME": str(layers["home"])}, layers["site"])


def test_named_file_must_exist(layers: dict[str, Path]) -> None:
    env = {"HOME": str(layers["home"]), "HPCAPI_CLIENT_CONF": str(layers["named"])}
    with pytest.raises(ConfigError, match="cannot read"):
        load_config({}, env, layers["site"])


def test_empty_value_clears_an_earlier_layer(layers: dict[str, Path]) -> None:
    write(layers["site"], "[client]\nprincipal = site@R\n")
    write(layers["user"], "[client]\nprincipal =\n")
    assert load_config({}, {"HOME": str(layers["home"])}, layers["site"]).principal is None


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        ClientConfig().url = "x"  # type: ignore[misc]
