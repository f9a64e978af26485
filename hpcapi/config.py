"""Server configuration: read once at start-up from one INI file into a frozen dataclass.

Layering, as in fasjson: the defaults in this module, then the site file named by
``HPCAPI_CONFIG`` (default ``/etc/hpcapi/hpcapi.conf``), then a test's overrides. Every key a
site may set is documented in ``hpcapi/hpcapi.conf.example``; a key or section not known here
is an error, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import configparser
import os
import pwd
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hpcapi.core.jobs import TimeFormat
from hpcapi.core.submit import SITE_POLICY_FIELDS, SubmitPolicy, parse_submit_request
from hpcapi.errors import HpcapiError
from hpcapi.identity import DEFAULT_MAX_UID, LOCAL_USER_RE
from hpcapi.protocol import MAX_BODY_BYTES
from hpcapi.slurm.token import JWT_ALGORITHMS

N = TypeVar("N", int, float)

DEFAULT_CONFIG_PATH = "/etc/hpcapi/hpcapi.conf"
CONFIG_PATH_ENV = "HPCAPI_CONFIG"

_REALM_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,254}")
_PARTITION_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_API_VERSION_RE = re.compile(r"auto|v0\.0\.\d{2}")


class ConfigError(Exception):
    """The configuration is missing, malformed, or unsafe; start-up must stop.

    ``problems`` holds one line per problem, each naming the file, section and key."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ServerConfig:
    """Everything hpcapi needs to know about its site, validated."""

    # [identity]
    allowed_realms: frozenset[str] = frozenset()
    min_uid: int = 1000
    max_uid: int = DEFAULT_MAX_UID
    identity_header: str = "X-Remote-User"
    # [principal_map]: exact principal -> local user (service accounts, explicit instances)
    principal_map: Mapping[str, str] = field(default_factory=dict)
    # [submit]
    allowed_partitions: tuple[str, ...] = ()
    # The partition Slurm gives a job that names none (slurm.conf Default=YES); "" when not
    # set: then only Slurm 22.05's partition flags say (23.11+ slurmrestd gives none).
    default_partition: str = ""
    working_directory: str = "{home}"
    job_path: str = "/usr/local/bin:/usr/bin:/bin"
    job_lang: str = "C.UTF-8"
    max_body_bytes: int = MAX_BODY_BYTES
    # Site policy: fields every job must carry, and defaults for fields a request leaves out.
    required_fields: tuple[str, ...] = ()
    job_defaults: Mapping[str, object] = field(default_factory=dict)
    # [state]
    state_directory: str = "/var/lib/hpcapi"
    several_hosts: bool = False
    # [limits]
    in_flight_per_user: int = 4
    # [history]
    history_default_hours: int = 24
    history_max_hours: int = 168
    history_max_staleness: float = 2.0
    history_cache_jobs: int = 20_000
    history_full_refresh: float = 600.0
    history_time_format: TimeFormat = TimeFormat.FRCE
    # [output]: hpcapi-outputd, which reads jobs' output files as their owners
    output_socket: str = "/run/hpcapi-outputd/outputd.sock"
    output_max_bytes: int = 1024 * 1024
    # [metrics]: where the workers' Prometheus metrics meet; "" is <[state] directory>/metrics
    metrics_directory: str = ""
    # [slurmrestd]
    slurmrestd_url: str = "http://127.0.0.1:6820"
    api_version: str = "auto"
    jwt_key_file: str = "/etc/hpcapi/jwt_hs256.key"
    jwt_algorithm: str = "HS256"  # or RS256, against Slurm's AuthAltParameters=jwks=
    jwt_kid: str = ""  # RS256: the key's id in Slurm's jwks file (a JWK key file has its own)
    token_lifetime: int = 60
    backend_timeout: float = 10.0
    list_timeout: float = 20.0
    max_parallel_lists: int = 2


def _text(raw: str) -> str:
    return raw.strip()


def _number_in(kind: Callable[[str], N], what: str, low: N, high: N) -> Callable[[str], N]:
    def convert(raw: str) -> N:
        try:
            value = kind(raw.strip())
        except ValueError as err:
            raise ValueError(f"{raw!r} is not {what}") from err
        if not low <= value <= high:  # type: ignore[operator]
            raise ValueError(f"{value} is outside {low}..{high}")
        return value

    return convert


def _int_in(low: int, high: int) -> Callable[[str], int]:
    return _number_in(int, "an integer", low, high)


def _float_in(low: float, high: float) -> Callable[[str], float]:
    return _number_in(float, "a number", low, high)


def _partition(raw: str) -> str:
    value = raw.strip()
    if not _PARTITION_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid partition")
    return value


def _word_list(pattern: re.Pattern[str], what: str) -> Callable[[str], tuple[str, ...]]:
    def convert(raw: str) -> tuple[str, ...]:
        items = tuple(item for item in re.split(r"[,\s]+", raw.strip()) if item)
        for item in items:
            if not pattern.fullmatch(item):
                raise ValueError(f"{item!r} is not a valid {what}")
        return items

    return convert


def _realms(raw: str) -> frozenset[str]:
    return frozenset(_word_list(_REALM_RE, "Kerberos realm")(raw))


def _header_name(raw: str) -> str:
    value = raw.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,63}", value):
        raise ValueError(f"{value!r} is not a header name (letters, digits and dashes only)")
    return value


def _api_version(raw: str) -> str:
    value = raw.strip()
    if not _API_VERSION_RE.fullmatch(value):
        # Which versions hpcapi speaks is hpcapi.slurm.versions' to say, at start-up.
        raise ValueError(f"{value!r} is neither 'auto' nor a slurmrestd API version vX.Y.Z")
    return value


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?|unix:///[^\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL or unix:///path/to/socket")
    return value


def _working_directory(raw: str) -> str:
    value = raw.strip()
    try:
        rendered = value.format(home="/home/x", user="x")
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(f"{value!r} may only use the placeholders {{home}} and {{user}}") from err
    if not rendered.startswith("/"):
        raise ValueError(f"{value!r} must be an absolute path")
    return value


def _yes_no(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("yes", "no"):
        raise ValueError(f"{raw.strip()!r} is neither yes nor no")
    return value == "yes"


def _time_format(raw: str) -> TimeFormat:
    value = raw.strip()
    try:
        return TimeFormat(value)
    except ValueError as err:
        names = " nor ".join(repr(str(choice)) for choice in TimeFormat)
        raise ValueError(f"{value!r} is neither {names}") from err


def _policy_field(name: str) -> str:
    if name not in SITE_POLICY_FIELDS:
        raise ValueError(f"{name!r} is not a job field a site may require or default"
                         " (script-body and partition are always given by the job)")
    return name


def _field_names(raw: str) -> tuple[str, ...]:
    return tuple(_policy_field(name) for name in re.split(r"[\s,]+", raw.strip()) if name)


def _job_defaults(raw: str) -> dict[str, object]:
    """One ``field = value`` a line; ``true`` and ``false`` are JSON's booleans."""
    defaults: dict[str, object] = {}
    for line in raw.splitlines():
        if not line.strip():
            continue
        name, equals, value = (part.strip() for part in line.partition("="))
        if not equals or not value:
            raise ValueError(f"{line.strip()!r} is not a line 'field = value'")
        booleans: dict[str, object] = {"true": True, "false": False}
        defaults[_policy_field(name)] = booleans.get(value, value)
    return defaults


def _jwt_algorithm(raw: str) -> str:
    value = raw.strip().upper()
    if value not in JWT_ALGORITHMS:
        raise ValueError(f"{raw.strip()!r} is not one of {', '.join(JWT_ALGORITHMS)}")
    return value


def _absolute_path(raw: str) -> str:
    value = raw.strip()
    if not value.startswith("/"):
        raise ValueError(f"{value!r} must be an absolute path")
    return value


# section -> key -> (dataclass field, converter)
_SCHEMA: dict[str, dict[str, tuple[str, Callable[[str], Any]]]] = {
    "identity": {
        "allowed_realms": ("allowed_realms", _realms),
        "min_uid": ("min_uid", _int_in(1, 2**31)),
        "max_uid": ("max_uid", _int_in(1, 2**32 - 2)),
        "header": ("identity_header", _header_name),
    },
    "submit": {
        "allowed_partitions": ("allowed_partitions", _word_list(_PARTITION_RE, "partition")),
        "default_partition": ("default_partition", _partition),
        "working_directory": ("working_directory", _working_directory),
        "job_path": ("job_path", _text),
        "job_lang": ("job_lang", _text),
        "max_body_bytes": ("max_body_bytes", _int_in(256, 1024 * 1024)),
        "required_fields": ("required_fields", _field_names),
        "defaults": ("job_defaults", _job_defaults),
    },
    "state": {
        "directory": ("state_directory", _absolute_path),
        "several_hosts": ("several_hosts", _yes_no),
    },
    "limits": {
        "in_flight_per_user": ("in_flight_per_user", _int_in(1, 256)),
    },
    "history": {
        "default_hours": ("history_default_hours", _int_in(1, 24 * 365)),
        "max_hours": ("history_max_hours", _int_in(1, 24 * 365)),
        "max_staleness": ("history_max_staleness", _float_in(0, 60)),
        "cache_jobs": ("history_cache_jobs", _int_in(0, 10_000_000)),
        "full_refresh": ("history_full_refresh", _float_in(0, 86_400)),
        "time_format": ("history_time_format", _time_format),
    },
    "output": {
        "socket": ("output_socket", _absolute_path),
        "max_bytes": ("output_max_bytes", _int_in(1024, 64 * 1024 * 1024)),
    },
    "metrics": {
        "directory": ("metrics_directory", _absolute_path),
    },
    "slurmrestd": {
        "url": ("slurmrestd_url", _url),
        "api_version": ("api_version", _api_version),
        "jwt_key_file": ("jwt_key_file", _absolute_path),
        "jwt_algorithm": ("jwt_algorithm", _jwt_algorithm),
        "jwt_kid": ("jwt_kid", _text),
        "token_lifetime": ("token_lifetime", _int_in(5, 60)),
        "timeout": ("backend_timeout", _float_in(0.5, 300)),
        "list_timeout": ("list_timeout", _float_in(0.5, 300)),
        "max_parallel_lists": ("max_parallel_lists", _int_in(1, 64)),
    },
}
_MAP_SECTION = "principal_map"

UserLookup = Callable[[str], Any]


def config_path() -> str:
    """The path of the site configuration file: ``$HPCAPI_CONFIG`` or the default."""
    return os.environ.get(CONFIG_PATH_ENV) or DEFAULT_CONFIG_PATH


def parse_config(
    text: str, source: str = "<config>", overrides: Mapping[str, Any] | None = None
) -> ServerConfig:
    """Parse and validate INI text into a ServerConfig; raise ConfigError naming every problem."""
    parser = configparser.ConfigParser(
        delimiters=("=",), comment_prefixes=("#", ";"), interpolation=None, strict=True
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # principals are case-sensitive
    try:
        parser.read_string(text, source=source)
    except configparser.Error as exc:
        raise ConfigError(f"{source}: {exc}") from exc

    problems: list[str] = []
    if parser.defaults():
        problems.append(f"{source}: a [DEFAULT] section is not supported; name each section")
    values: dict[str, Any] = {}
    for section in parser.sections():
        if section == _MAP_SECTION:
            values["principal_map"] = _parse_principal_map(parser[section], source, problems)
            continue
        known = _SCHEMA.get(section)
        if known is None:
            expected = ", ".join(f"[{name}]" for name in [*_SCHEMA, _MAP_SECTION])
            problems.append(f"{source}: unknown section [{section}] (known: {expected})")
            continue
        for key, raw in parser[section].items():
            if key not in known:
                problems.append(f"{source}: unknown key {key!r} in [{section}] "
                                f"(known: {', '.join(sorted(known))})")
                continue
            attribute, convert = known[key]
            try:
                values[attribute] = convert(raw)
            except ValueError as exc:
                problems.append(f"{source}: [{section}] {key}: {exc}")
    if problems:
        raise ConfigError(*problems)
    values.update(overrides or {})
    try:
        config = ServerConfig(**values)
    except TypeError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    problems = _coherence_problems(config, source)
    if problems:
        raise ConfigError(*problems)
    return config


def _parse_principal_map(section: Mapping[str, str], source: str,
                         problems: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for principal, user in section.items():
        user = user.strip()
        if "@" not in principal or principal.count("@") != 1:
            problems.append(f"{source}: [principal_map] {principal!r} is not a full principal")
        elif not LOCAL_USER_RE.fullmatch(user):
            problems.append(f"{source}: [principal_map] {principal}: {user!r} is not a user name")
        else:
            mapping[principal] = user
    return mapping


def _coherence_problems(config: ServerConfig, source: str) -> list[str]:
    problems = []
    if not config.allowed_realms:
        problems.append(f"{source}: [identity] allowed_realms must name at least one realm")
    if not config.allowed_partitions:
        problems.append(
            f"{source}: [submit] allowed_partitions must name at least one partition")
    if config.default_partition and config.default_partition not in config.allowed_partitions:
        problems.append(
            f"{source}: [submit] default_partition {config.default_partition} is not in"
            " allowed_partitions"
        )
    if config.min_uid > config.max_uid:
        problems.append(f"{source}: [identity] min_uid is larger than max_uid")
    if config.history_default_hours > config.history_max_hours:
        problems.append(f"{source}: [history] default_hours is larger than max_hours")
    if config.allowed_partitions:
        # A default a job could not be submitted with would refuse every job that relies on it.
        probe = {"script-body": "#!/bin/sh\ntrue\n", "partition": config.allowed_partitions[0]}
        try:
            parse_submit_request(probe, SubmitPolicy(config.allowed_partitions,
                                                     defaults=config.job_defaults))
        except HpcapiError as exc:
            problems.append(f"{source}: [submit] defaults: {exc.message}")
    for principal in config.principal_map:
        realm = principal.rsplit("@", 1)[1]
        if realm not in config.allowed_realms:
            problems.append(
                f"{source}: [principal_map] {principal}: realm {realm} is not in allowed_realms"
            )
    return problems


def check_principal_map_users(config: ServerConfig, lookup: UserLookup = pwd.getpwnam,
                              source: str = "") -> None:
    """Refuse a principal map whose targets are missing, root, or outside min_uid..max_uid."""
    where = f"{source}: " if source else ""
    problems = []
    for principal, user in config.principal_map.items():
        try:
            entry = lookup(user)
        except KeyError:
            problems.append(
                f"{where}[principal_map] {principal} maps to {user!r}, which is not a local user")
            continue
        if entry.pw_uid == 0 or not config.min_uid <= entry.pw_uid <= config.max_uid:
            problems.append(
                f"{where}[principal_map] {principal} maps to {user!r} (uid {entry.pw_uid}), "
                f"outside min_uid {config.min_uid} .. max_uid {config.max_uid}: refusing to "
                "act as a system account"
            )
    if problems:
        raise ConfigError(*problems)


def load_config(
    path: str | None = None, overrides: Mapping[str, Any] | None = None
) -> ServerConfig:
    """Read, parse and validate the site configuration file."""
    path = path or config_path()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror}") from exc
    config = parse_config(text, source=path, overrides=overrides)
    check_principal_map_users(config, source=path)
    return config
