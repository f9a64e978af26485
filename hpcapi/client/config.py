"""Client configuration: layered INI files read once into a frozen dataclass.

Layers, later ones winning key by key: ``/etc/hpcapi/client.conf`` (site), then
``~/.config/hpcapi/client.conf`` (``$XDG_CONFIG_HOME`` is honoured), then the file named by
``HPCAPI_CLIENT_CONF``, then ``HPCAPI_URL`` from the environment (the dev stack exports it),
then command-line options. Every file has one ``[client]`` section with the keys ``url``,
``principal``, ``keytab`` and ``ca``; anything else is an error, so a typo never silently
falls back to a default. An empty value clears what an earlier layer set.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from hpcapi.client.errors import ConfigError

SITE_CONFIG_PATH = Path("/etc/hpcapi/client.conf")
CONFIG_PATH_ENV = "HPCAPI_CLIENT_CONF"
URL_ENV = "HPCAPI_URL"
SECTION = "client"
KEYS = ("url", "principal", "keytab", "ca")


@dataclass(frozen=True)
class ClientConfig:
    """Where the server is and which credential and CA bundle to use."""

    url: str | None = None
    principal: str | None = None
    keytab: str | None = None
    ca: str | None = None


def user_config_path(environ: Mapping[str, str]) -> Path:
    """The per-user configuration file."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "hpcapi" / "client.conf"


def _read_file(path: Path) -> dict[str, str | None]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid INI file: {exc}") from exc
    unknown_sections = [name for name in parser.sections() if name != SECTION]
    if unknown_sections:
        raise ConfigError(
            f"{path}: unknown section [{unknown_sections[0]}]; only [{SECTION}] is allowed"
        )
    values: dict[str, str | None] = {}
    if parser.has_section(SECTION):
        for key, raw in parser.items(SECTION):
            if key not in KEYS:
                raise ConfigError(
                    f"{path}: unknown key {key!r} in [{SECTION}]; known keys: {', '.join(KEYS)}"
                )
            values[key] = raw.strip() or None
    return values


def _checked(config: ClientConfig) -> ClientConfig:
    if config.url is not None:
        parts = urlsplit(config.url)
        # Negotiate tokens and job scripts must not cross the network in clear text.
        if parts.scheme != "https" or not parts.hostname:
            raise ConfigError(f"url {config.url!r} must be an https:// URL with a host name")
    if config.keytab is not None and config.principal is None:
        raise ConfigError("a keytab needs a principal: pass --principal or set principal")
    if config.keytab is not None:
        path = config.keytab.removeprefix("FILE:")
        if not os.access(path, os.R_OK):
            raise ConfigError(f"keytab {path} does not exist or is not readable")
    if config.ca is not None and not os.access(config.ca, os.R_OK):
        raise ConfigError(f"CA bundle {config.ca} does not exist or is not readable")
    return config


def load_config(
    overrides: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
    site_path: Path | None = None,
) -> ClientConfig:
    """Read every layer, apply ``overrides`` (command-line options; None = not given), validate."""
    env = os.environ if environ is None else environ
    values: dict[str, str | None] = {}
    site = SITE_CONFIG_PATH if site_path is None else site_path
    for path in (site, user_config_path(env)):
        # The site and user files are optional; a file named explicitly is not.
        if path.is_file():
            values.update(_read_file(path))
    named = env.get(CONFIG_PATH_ENV)
    if named:
        values.update(_read_file(Path(named).expanduser()))
    if env.get(URL_ENV):
        values["url"] = env[URL_ENV]
    for key, value in (overrides or {}).items():
        if key not in KEYS:
            raise ConfigError(f"unknown configuration key {key!r}")
        if value is not None:
            values[key] = value or None
    for key in ("keytab", "ca"):
        if values.get(key):
            values[key] = str(Path(str(values[key]).removeprefix("FILE:")).expanduser())
    return _checked(replace(ClientConfig(), **values))
