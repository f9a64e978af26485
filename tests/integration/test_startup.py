"""Start-up against the real slurmrestd: version detection, and refusals that stop gunicorn."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import REPO

pytestmark = pytest.mark.integration


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary directory the service user can read (pytest's own is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="hpcapi-startup-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _config(stack: dict[str, str], tmp_path: Path, api_version: str) -> Path:
    state = Path(stack["HPCAPI_DEV_STATE"])
    text = (state / "hpcapi" / "etc" / "hpcapi.conf").read_text()
    lines = [
        f"api_version = {api_version}" if line.startswith("api_version") else line
        for line in text.splitlines()
    ]
    path = tmp_path / "hpcapi.conf"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o644)
    return path


def _start_gunicorn(stack, tmp_path: Path, api_version: str) -> subprocess.CompletedProcess:
    """Start hpcapi-server as the dev stack does (workers as hpcapi), on a private socket."""
    venv = Path(sys.executable).parent
    return subprocess.run(
        [str(venv / "hpcapi-server"), "serve", "-c", str(REPO / "systemd" / "gunicorn.conf.py"),
         "--bind", f"unix:{tmp_path}/test.sock", "--user", "hpcapi", "--group", "hpcapi",
         "--workers", "1", "--pid", f"{tmp_path}/gunicorn.pid"],
        env={"PATH": "/usr/bin:/bin", "HPCAPI_CONFIG": str(_config(stack, tmp_path, api_version))},
        cwd="/", capture_output=True, text=True, timeout=60,
    )


def test_unoffered_api_version_stops_startup_naming_what_is_offered(stack, slurm_api,
                                                                    shared_tmp):
    result = _start_gunicorn(stack, shared_tmp, slurm_api.unoffered)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"api_version = {slurm_api.unoffered}" in output
    assert f"offers {slurm_api.offered}" in output


def test_auto_detects_the_newest_version_in_process(stack, slurm_api, shared_tmp):
    from hpcapi.web import create_app

    os.environ["HPCAPI_CONFIG"] = str(_config(stack, shared_tmp, "auto"))
    try:
        app = create_app()
    finally:
        del os.environ["HPCAPI_CONFIG"]
    assert app.extensions["hpcapi"].backend.api_version == slurm_api.newest
