"""Attacks refused without any server: gunicorn's header handling with the shipped config, forged
identity headers and unsafe principal maps at the app, tokens for root, and output paths hpcapi
must never open. The same attacks end to end: tests/integration/test_attacks_e2e.py."""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import REALM, REPO_ROOT, AppFactory, FakeSlurmrestd, make_server_config
from flask.testing import FlaskClient
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser

from hpcapi.slurm.token import TokenMinter

# --- gunicorn, as systemd/gunicorn.conf.py configures it ----------------------------------------


def shipped_gunicorn_config() -> Config:
    """gunicorn's configuration with the settings of the shipped systemd/gunicorn.conf.py."""
    namespace: dict[str, Any] = {}
    path = REPO_ROOT / "systemd" / "gunicorn.conf.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102  # our own file
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)
    return config


def parsed_headers(*header_lines: str) -> list[tuple[str, str]]:
    """The headers gunicorn hands on for a request carrying ``header_lines``."""
    raw = "GET /hpcapi/whoami HTTP/1.1\r\nHost: localhost\r\n" + "".join(
        f"{line}\r\n" for line in header_lines
    ) + "\r\n"
    parser = RequestParser(shipped_gunicorn_config(), iter([raw.encode()]), ("127.0.0.1", 0))
    request = next(parser)
    return list(request.headers)


def test_shipped_gunicorn_config_drops_underscore_headers() -> None:
    assert shipped_gunicorn_config().header_map == "drop"


@pytest.mark.parametrize("name", ["X_Remote_User", "x_remote_user", "X-Remote_User"])
def test_gunicorn_drops_the_underscore_spelling_of_the_identity_header(name: str) -> None:
    headers = parsed_headers(f"{name}: bob@{REALM}")
    assert all("REMOTE" not in key for key, _ in headers)


def test_gunicorn_keeps_the_dash_spelling_of_the_identity_header() -> None:
    # The control: the header Apache sets does get through.
    assert ("X-REMOTE-USER", f"alice@{REALM}") in parsed_headers(f"X-Remote-User: alice@{REALM}")


def test_gunicorn_keeps_both_copies_of_a_repeated_header() -> None:
    # hpcapi refuses a repeated identity header; that needs gunicorn to pass on both copies.
    headers = parsed_headers(f"X-Remote-User: alice@{REALM}", f"X-Remote-User: bob@{REALM}")
    assert [value for key, value in headers if key == "X-REMOTE-USER"] == [
        f"alice@{REALM}", f"bob@{REALM}"
    ]


# --- forged and unsafe identities at the app ----------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        f"bob@{REALM}, alice@{REALM}",
        f"alice@{REALM}, bob@{REALM}",
        f"alice@{REALM},alice@{REALM}",
        f"bob@{REALM};alice@{REALM}",
        f"bob@{REALM} alice@{REALM}",
    ],
)
def test_joined_identity_values_are_403(client: FlaskClient, value: str) -> None:
    response = client.get("/hpcapi/whoami", principal=value)
    assert response.status_code == 403
    assert response.get_json()["reason"] == "principal_not_allowed"


def test_three_copies_of_the_identity_header_are_403(client: FlaskClient) -> None:
    headers = [("X-Remote-User", f"alice@{REALM}")] * 3
    response = client.get("/hpcapi/whoami", principal=None, headers=headers)
    assert response.status_code == 403


@pytest.mark.parametrize("target", ["root", "daemon", "lowuser"])
def test_a_map_to_a_system_account_that_slipped_past_startup_never_reaches_slurm(
    make_app: AppFactory, fake_slurmrestd: FakeSlurmrestd, target: str
) -> None:
    # check_principal_map_users refuses this at start-up; the request path must refuse it too.
    config = make_server_config(principal_map={f"evil@{REALM}": target})
    client = make_app(config).test_client()
    before = len(fake_slurmrestd.requests)
    for path in ("/hpcapi/whoami", "/hpcapi/ping", "/hpcapi/query_status"):
        response = client.get(path, principal=f"evil@{REALM}")
        assert response.status_code == 403, path
        assert response.get_json()["reason"] == "principal_not_allowed"
    assert len(fake_slurmrestd.requests) == before


@pytest.mark.parametrize("min_uid", [0, 1])
def test_no_token_for_root_whatever_min_uid_the_minter_is_given(min_uid: int) -> None:
    minter = TokenMinter(b"k" * 32, 60, min_uid=min_uid)
    with pytest.raises(PermissionError):
        minter.token_for("root", 0)
    with pytest.raises(PermissionError):
        minter.token_for("anything", 0)


# --- output paths are passed on, never opened ---------------------------------------------------

ATTACK_PATHS = {
    "output": "/etc/hpcapi/pwned-%j",
    "error": "/etc/shadow",
    "working-directory": "/root",
}


def test_dry_run_passes_output_paths_on_without_opening_them(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open, real_os_open, real_io_open = builtins.open, os.open, io.open

    def record(real: Any) -> Any:
        def wrapper(file: Any, *args: Any, **kwargs: Any) -> Any:
            opened.append(os.fsdecode(file) if isinstance(file, str | bytes | Path) else "")
            return real(file, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(builtins, "open", record(real_open))
    monkeypatch.setattr(io, "open", record(real_io_open))
    monkeypatch.setattr(os, "open", record(real_os_open))
    response = client.post(
        "/hpcapi/submit_job?dry_run=1",
        json={"partition": "norm", "script-body": "#!/bin/bash\ntrue\n", **ATTACK_PATHS},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    job = response.get_json()["job"]["job"]
    assert job["standard_output"] == ATTACK_PATHS["output"]
    assert job["standard_error"] == ATTACK_PATHS["error"]
    assert job["current_working_directory"] == ATTACK_PATHS["working-directory"]
    touched = [path for path in opened
               if any(path.startswith(p.split("%")[0]) for p in ATTACK_PATHS.values())]
    assert touched == []


def test_dry_run_carries_nothing_of_the_service_environment(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HPCAPI_UNIT_CANARY", "service-secret-canary")
    monkeypatch.setenv("SLURM_JWT", "service-token-canary")
    response = client.post(
        "/hpcapi/submit_job?dry_run=1",
        json={"partition": "norm", "script-body": "#!/bin/bash\ntrue\n"},
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "canary" not in text
    assert "SLURM_JWT" not in text

