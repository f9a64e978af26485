"""Tests for hpcapi.config: the site INI file into a validated, frozen ServerConfig."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from conftest import FakePasswd, default_passwd, passwd_entry

from hpcapi import config as config_module
from hpcapi.config import (
    CONFIG_PATH_ENV,
    DEFAULT_CONFIG_PATH,
    ConfigError,
    ServerConfig,
    check_principal_map_users,
    config_path,
    load_config,
    parse_config,
)
from hpcapi.core.jobs import TimeFormat

FULL = """\
# every section and key hpcapi knows
[identity]
allowed_realms = HPCAPI.TEST, OTHER.TEST
min_uid = 2000
header = X-Auth-Principal

[principal_map]
svc-pipeline@HPCAPI.TEST = pipeline
alice/admin@OTHER.TEST = alice

[submit]
allowed_partitions = norm quick,gpu
working_directory = /scratch/{user}/jobs
job_path = /opt/bin:/usr/bin:/bin
job_lang = en_US.UTF-8
max_body_bytes = 8192

[history]
default_hours = 12
max_hours = 48
time_format = utc

[slurmrestd]
url = https://slurm.example.org:6820/
api_version = v0.0.38
jwt_key_file = /etc/hpcapi/other.key
token_lifetime = 30
timeout = 2.5
list_timeout = 30
max_parallel_lists = 3
"""

MINIMAL = """\
[identity]
allowed_realms = HPCAPI.TEST

[submit]
allowed_partitions = norm
"""


def with_line(section: str, line: str, base: str = MINIMAL) -> str:
    """``base`` with ``line`` set in ``[section]`` (replacing the key, or creating the section)."""
    key = line.split("=", 1)[0].strip()
    existing = re.search(rf"^{re.escape(key)} =.*$", base, flags=re.MULTILINE)
    if existing:
        return base.replace(existing.group(0), line, 1)
    header = f"[{section}]\n"
    if header in base:
        return base.replace(header, header + line + "\n", 1)
    return base + f"\n{header}{line}\n"


def parse_error(text: str) -> str:
    """The message of the ConfigError parsing ``text`` raises."""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="site.conf")
    return str(caught.value)


# --- a valid file -------------------------------------------------------------------------------


def test_full_file_parses_every_key() -> None:
    config = parse_config(FULL, source="site.conf")
    assert config == ServerConfig(
        allowed_realms=frozenset({"HPCAPI.TEST", "OTHER.TEST"}),
        min_uid=2000,
        identity_header="X-Auth-Principal",
        principal_map={"svc-pipeline@HPCAPI.TEST": "pipeline", "alice/admin@OTHER.TEST": "alice"},
        allowed_partitions=("norm", "quick", "gpu"),
        working_directory="/scratch/{user}/jobs",
        job_path="/opt/bin:/usr/bin:/bin",
        job_lang="en_US.UTF-8",
        max_body_bytes=8192,
        history_default_hours=12,
        history_max_hours=48,
        history_time_format=TimeFormat.UTC,
        slurmrestd_url="https://slurm.example.org:6820",  # trailing slash dropped
        api_version="v0.0.38",
        jwt_key_file="/etc/hpcapi/other.key",
        token_lifetime=30,
        backend_timeout=2.5,
        list_timeout=30.0,
        max_parallel_lists=3,
    )


def test_minimal_file_takes_the_defaults() -> None:
    config = parse_config(MINIMAL)
    defaults = ServerConfig()
    assert config.allowed_realms == {"HPCAPI.TEST"}
    assert config.allowed_partitions == ("norm",)
    assert config.min_uid == defaults.min_uid == 1000
    assert config.identity_header == "X-Remote-User"
    assert config.api_version == "auto"
    assert config.token_lifetime == 60
    assert dict(config.principal_map) == {}
    # FRCE's form unless the site asks for UTC.
    assert config.history_time_format is TimeFormat.FRCE


def test_shipped_example_parses() -> None:
    example = Path(config_module.__file__).with_name("hpcapi.conf.example")
    config = parse_config(example.read_text(encoding="utf-8"), source=str(example))
    assert config.allowed_realms == {"EXAMPLE.ORG"}
    assert config.allowed_partitions == ("norm", "quick")
    assert config.jwt_key_file == "/etc/hpcapi/jwt_hs256.key"
    assert config.history_time_format is TimeFormat.FRCE


def test_config_is_frozen() -> None:
    config = parse_config(MINIMAL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.min_uid = 0  # type: ignore[misc]


def test_principal_map_keys_keep_their_case() -> None:
    text = with_line("principal_map", "SVC-Pipeline@HPCAPI.TEST = pipeline")
    assert dict(parse_config(text).principal_map) == {"SVC-Pipeline@HPCAPI.TEST": "pipeline"}


# --- unknown sections and keys ------------------------------------------------------------------


@pytest.mark.parametrize("section", ["identiy", "slurm", "Identity", "logging", "principals"])
def test_unknown_section_is_refused_by_name(section: str) -> None:
    message = parse_error(with_line(section, "anything = 1"))
    assert f"unknown section [{section}]" in message
    assert message.startswith("site.conf:")


def test_empty_unknown_section_is_refused() -> None:
    assert "unknown section [extra]" in parse_error(MINIMAL + "\n[extra]\n")


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("identity", "allowed_realm"),
        ("identity", "Min_UID"),
        ("identity", "identity_header"),
        ("submit", "partitions"),
        ("submit", "max_body"),
        ("history", "hours"),
        ("slurmrestd", "jwt_key"),
        ("slurmrestd", "lifetime"),
        ("slurmrestd", "backend_timeout"),
    ],
)
def test_unknown_key_is_refused_by_name(section: str, key: str) -> None:
    message = parse_error(with_line(section, f"{key} = 1"))
    assert f"unknown key {key!r} in [{section}]" in message


def test_every_known_key_is_accepted_in_its_own_section_only() -> None:
    # A key valid in one section is unknown in every other: no flat namespace.
    message = parse_error(with_line("history", "min_uid = 1000"))
    assert "unknown key 'min_uid' in [history]" in message


def test_default_section_is_not_silently_applied() -> None:
    # configparser copies [DEFAULT] keys into every section; they must not slip through.
    with pytest.raises(ConfigError):
        parse_config("[DEFAULT]\nmin_uid = 1\n" + MINIMAL)


def test_syntax_error_is_a_config_error_naming_the_source() -> None:
    assert parse_error("allowed_realms = X\n").startswith("site.conf:")
    twice = MINIMAL.replace("[submit]", "min_uid = 1\nmin_uid = 2\n[submit]")
    assert "min_uid" in parse_error(twice)


# --- converters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "line", "named"),
    [
        ("identity", "min_uid = lots", "[identity] min_uid"),
        ("identity", "min_uid = 0", "[identity] min_uid"),
        ("identity", "min_uid = 1000.5", "[identity] min_uid"),
        ("identity", "header = X_Remote_User", "[identity] header"),
        ("identity", "header = X-Remote User", "[identity] header"),
        ("identity", "header = -X", "[identity] header"),
        ("identity", "allowed_realms = HPCAPI.TEST, @BAD", "[identity] allowed_realms"),
        ("submit", "allowed_partitions = norm, no/slash", "[submit] allowed_partitions"),
        ("submit", "working_directory = {home}/{nope}", "[submit] working_directory"),
        ("submit", "working_directory = {0}", "[submit] working_directory"),
        ("submit", "working_directory = {home", "[submit] working_directory"),
        ("submit", "working_directory = jobs/{user}", "[submit] working_directory"),
        ("submit", "max_body_bytes = 100", "[submit] max_body_bytes"),
        ("submit", "max_body_bytes = 2000000", "[submit] max_body_bytes"),
        ("history", "default_hours = 0", "[history] default_hours"),
        ("history", "max_hours = 9000", "[history] max_hours"),
        ("history", "time_format = local", "[history] time_format"),
        ("history", "time_format = UTC", "[history] time_format"),
        ("history", "time_format = frce utc", "[history] time_format"),
        ("history", "time_format =", "[history] time_format"),
        ("slurmrestd", "token_lifetime = 61", "[slurmrestd] token_lifetime"),
        ("slurmrestd", "token_lifetime = 4", "[slurmrestd] token_lifetime"),
        ("slurmrestd", "token_lifetime = sixty", "[slurmrestd] token_lifetime"),
        ("slurmrestd", "api_version = v1", "[slurmrestd] api_version"),
        ("slurmrestd", "api_version = 0.0.38", "[slurmrestd] api_version"),
        ("slurmrestd", "api_version = AUTO", "[slurmrestd] api_version"),
        ("slurmrestd", "jwt_key_file = jwt_hs256.key", "[slurmrestd] jwt_key_file"),
        ("slurmrestd", "jwt_key_file = ./etc/jwt.key", "[slurmrestd] jwt_key_file"),
        ("slurmrestd", "url = 127.0.0.1:6820", "[slurmrestd] url"),
        ("slurmrestd", "url = unix://run/slurmrestd.sock", "[slurmrestd] url"),
        ("slurmrestd", "jwt_algorithm = ES256", "[slurmrestd] jwt_algorithm"),
        ("slurmrestd", "timeout = 0.1", "[slurmrestd] timeout"),
        ("slurmrestd", "timeout = soon", "[slurmrestd] timeout"),
        ("slurmrestd", "max_parallel_lists = 0", "[slurmrestd] max_parallel_lists"),
        ("slurmrestd", "max_parallel_lists = 65", "[slurmrestd] max_parallel_lists"),
    ],
)
def test_bad_value_is_refused_naming_section_and_key(section: str, line: str, named: str) -> None:
    message = parse_error(with_line(section, line))
    assert named in message
    assert message.startswith("site.conf:")


def test_bad_value_message_says_what_is_wrong() -> None:
    assert "'lots' is not an integer" in parse_error(with_line("identity", "min_uid = lots"))
    assert "61 is outside 5..60" in parse_error(with_line("slurmrestd", "token_lifetime = 61"))
    assert "placeholders {home} and {user}" in parse_error(
        with_line("submit", "working_directory = /x/{nope}")
    )
    assert "absolute path" in parse_error(with_line("slurmrestd", "jwt_key_file = key"))
    assert "'X_Remote_User' is not a header name" in parse_error(
        with_line("identity", "header = X_Remote_User")
    )
    assert "'v1'" in parse_error(with_line("slurmrestd", "api_version = v1"))
    assert "'iso' is neither 'frce' nor 'utc'" in parse_error(
        with_line("history", "time_format = iso")
    )


@pytest.mark.parametrize(("word", "chosen"), [("frce", TimeFormat.FRCE), ("utc", TimeFormat.UTC),
                                              (" utc ", TimeFormat.UTC)])
def test_time_format_is_one_of_two_words(word: str, chosen: TimeFormat) -> None:
    config = parse_config(with_line("history", f"time_format = {word}"))
    assert config.history_time_format is chosen


@pytest.mark.parametrize(
    ("line", "attribute", "value"),
    [
        ("working_directory = {home}", "working_directory", "{home}"),
        ("working_directory = /scratch/{user}", "working_directory", "/scratch/{user}"),
        ("max_body_bytes = 256", "max_body_bytes", 256),
        ("max_body_bytes = 1048576", "max_body_bytes", 1048576),
    ],
)
def test_good_submit_values_are_kept(line: str, attribute: str, value: object) -> None:
    assert getattr(parse_config(with_line("submit", line)), attribute) == value


@pytest.mark.parametrize(("lifetime", "accepted"), [("5", 5), ("60", 60), (" 30 ", 30)])
def test_token_lifetime_bounds_are_inclusive(lifetime: str, accepted: int) -> None:
    text = with_line("slurmrestd", f"token_lifetime = {lifetime}")
    assert parse_config(text).token_lifetime == accepted


# --- coherence ----------------------------------------------------------------------------------


def test_allowed_realms_is_required() -> None:
    assert "allowed_realms must name at least one realm" in parse_error(
        "[submit]\nallowed_partitions = norm\n"
    )
    assert "allowed_realms" in parse_error(MINIMAL.replace("= HPCAPI.TEST", "="))


def test_allowed_partitions_is_required() -> None:
    assert "allowed_partitions must name at least one partition" in parse_error(
        "[identity]\nallowed_realms = HPCAPI.TEST\n"
    )


def test_default_partition_must_be_allowed() -> None:
    assert parse_config(MINIMAL).default_partition == ""
    text = MINIMAL.replace("allowed_partitions = norm", "allowed_partitions = norm, quick")
    assert parse_config(text + "default_partition = quick\n").default_partition == "quick"
    assert "default_partition gpu is not in allowed_partitions" in parse_error(
        text + "default_partition = gpu\n")
    assert "not a valid partition" in parse_error(text + "default_partition = a b\n")


def test_default_hours_above_max_hours_is_refused() -> None:
    text = MINIMAL + "\n[history]\ndefault_hours = 48\nmax_hours = 24\n"
    assert "default_hours is larger than max_hours" in parse_error(text)


def test_principal_map_realm_must_be_allowed() -> None:
    message = parse_error(with_line("principal_map", "svc@ELSEWHERE.TEST = pipeline"))
    assert "svc@ELSEWHERE.TEST" in message
    assert "realm ELSEWHERE.TEST is not in allowed_realms" in message


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("svc-pipeline = pipeline", "'svc-pipeline' is not a full principal"),
        ("a@b@HPCAPI.TEST = pipeline", "is not a full principal"),
        ("svc@HPCAPI.TEST = Pipeline", "'Pipeline' is not a user name"),
        ("svc@HPCAPI.TEST = pipe line", "is not a user name"),
        ("svc@HPCAPI.TEST = ", "'' is not a user name"),
    ],
)
def test_principal_map_entries_are_checked(line: str, named: str) -> None:
    assert named in parse_error(with_line("principal_map", line))


def test_overrides_apply_after_the_file() -> None:
    config = parse_config(MINIMAL, overrides={"min_uid": 5000})
    assert config.min_uid == 5000
    with pytest.raises(ConfigError, match="no_such_field"):
        parse_config(MINIMAL, overrides={"no_such_field": 1})


# --- principal map targets ----------------------------------------------------------------------


def mapped_config(target: str, min_uid: int = 1000) -> ServerConfig:
    text = with_line("principal_map", f"svc@HPCAPI.TEST = {target}")
    return parse_config(text, overrides={"min_uid": min_uid})


def test_principal_map_targets_that_are_ordinary_users_pass() -> None:
    lookup = default_passwd()
    check_principal_map_users(mapped_config("pipeline"), lookup=lookup)
    assert lookup.lookups == ["pipeline"]


def test_principal_map_target_root_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'root' \(uid 0\)"):
        check_principal_map_users(mapped_config("root"), lookup=default_passwd())


def test_principal_map_target_with_uid_zero_is_refused_whatever_its_name() -> None:
    # min_uid cannot be 0, but a renamed uid-0 account must still be refused on its uid.
    lookup = FakePasswd({"toor": passwd_entry("toor", 0, "/root")})
    with pytest.raises(ConfigError, match="uid 0"):
        check_principal_map_users(mapped_config("toor", min_uid=1), lookup=lookup)


def test_principal_map_target_below_min_uid_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'lowuser' \(uid 999\), outside min_uid 1000"):
        check_principal_map_users(mapped_config("lowuser"), lookup=default_passwd())


def test_principal_map_target_at_min_uid_passes() -> None:
    lookup = FakePasswd({"edge": passwd_entry("edge", 1000)})
    check_principal_map_users(mapped_config("edge"), lookup=lookup)


def test_principal_map_target_missing_is_refused() -> None:
    with pytest.raises(ConfigError, match="'ghost', which is not a local user"):
        check_principal_map_users(mapped_config("ghost"), lookup=default_passwd())


# --- files and the environment ------------------------------------------------------------------


def test_config_path_defaults_to_etc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_PATH_ENV, raising=False)
    assert config_path() == DEFAULT_CONFIG_PATH == "/etc/hpcapi/hpcapi.conf"


def test_config_path_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPCAPI_CONFIG", "/srv/site/hpcapi.conf")
    assert config_path() == "/srv/site/hpcapi.conf"


def test_empty_environment_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HPCAPI_CONFIG", "")
    assert config_path() == DEFAULT_CONFIG_PATH


def test_load_config_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.conf"
    with pytest.raises(ConfigError, match=re.escape(f"cannot read configuration {missing}")):
        load_config(str(missing))


def test_load_config_reads_the_file_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "hpcapi.conf"
    site.write_text(MINIMAL.replace("allowed_partitions = norm", "allowed_partitions = quick"))
    monkeypatch.setenv("HPCAPI_CONFIG", str(site))
    assert load_config().allowed_partitions == ("quick",)


def test_load_config_errors_name_the_file(tmp_path: Path) -> None:
    site = tmp_path / "hpcapi.conf"
    site.write_text(with_line("identity", "min_uid = lots"))
    with pytest.raises(ConfigError, match=re.escape(f"{site}: [identity] min_uid")):
        load_config(str(site))


def test_load_config_checks_principal_map_targets(tmp_path: Path) -> None:
    # load_config uses the real passwd: a target that cannot exist is refused at start-up.
    site = tmp_path / "hpcapi.conf"
    site.write_text(with_line("principal_map", "svc@HPCAPI.TEST = hpcapi-no-such-user-x"))
    with pytest.raises(ConfigError, match="not a local user"):
        load_config(str(site))


def test_every_problem_is_named_on_a_line_of_its_own() -> None:
    text = MINIMAL + "\n[history]\nmax_hours = lots\ncolour = red\n\n[extra]\nx = 1\n" \
        "\n[principal_map]\nnot-a-principal = alice\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="site.conf")
    assert caught.value.problems == (
        "site.conf: [history] max_hours: 'lots' is not an integer",
        "site.conf: unknown key 'colour' in [history] (known: cache_jobs, default_hours,"
        " full_refresh, max_hours, max_staleness, time_format)",
        "site.conf: unknown section [extra] (known: [identity], [submit], [state], [limits],"
        " [history], [output], [metrics], [slurmrestd], [principal_map])",
        "site.conf: [principal_map] 'not-a-principal' is not a full principal",
    )
    assert str(caught.value) == "; ".join(caught.value.problems)


def test_every_coherence_problem_is_named() -> None:
    text = with_line("identity", "min_uid = 5000", with_line("identity", "max_uid = 4000",
                     with_line("history", "default_hours = 48",
                               with_line("history", "max_hours = 24"))))
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="site.conf")
    assert caught.value.problems == (
        "site.conf: [identity] min_uid is larger than max_uid",
        "site.conf: [history] default_hours is larger than max_hours",
    )


# --- site policy ----------------------------------------------------------------------------------


def test_site_policy_names_fields_and_multi_line_defaults() -> None:
    defaults = ("defaults =\n    qos = normal\n    timelimit = 1:00:00\n    hold = false\n"
                "    constraint = a,b\n")
    config = parse_config(with_line("submit", "required_fields = account, qos timelimit",
                                    MINIMAL + defaults))
    assert config.required_fields == ("account", "qos", "timelimit")
    assert config.job_defaults == {"qos": "normal", "timelimit": "1:00:00", "hold": False,
                                   "constraint": "a,b"}


@pytest.mark.parametrize(("line", "named"), [
    ("required_fields = account, colour", "[submit] required_fields: 'colour' is not a job field"),
    ("required_fields = partition", "[submit] required_fields: 'partition' is not a job field"),
    ("defaults = script-body = x", "[submit] defaults: 'script-body' is not a job field"),
    ("defaults = qos", "[submit] defaults: 'qos' is not a line 'field = value'"),
    ("defaults = timelimit = forever", "[submit] defaults: timelimit"),
    ("defaults = ntasks = 0", "[submit] defaults: ntasks must be between 1"),
])
def test_a_site_policy_slurm_could_not_take_is_refused_at_start_up(line: str, named: str) -> None:
    assert f"site.conf: {named}" in parse_error(with_line("submit", line))
