"""dev/stack itself: status, down then up with state kept, and recovery from stale state."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.conftest import REALM, REPO, curl

pytestmark = pytest.mark.integration

PARTS = ["krb5kdc", "munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd", "slurmrestd",
         "outputd", "gunicorn", "apache2"]


def _stack(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "dev" / "stack"), *args], capture_output=True, text=True,
                          timeout=300)


def _status_lines() -> dict[str, str]:
    lines = _stack("status").stdout.splitlines()[1:]
    return {line.split()[0]: line.split()[1] for line in lines if line.strip()}


def test_status_shows_every_part_up(stack):
    result = _stack("status")
    assert result.returncode == 0, result.stdout
    assert _status_lines() == {part: "up" for part in PARTS}


def test_down_then_up_keeps_state_and_survives_stale_state(stack, kinit):
    state = Path(stack["HPCAPI_DEV_STATE"])
    keytab = Path(stack["HPCAPI_DEV_KEYTABS"]) / "alice.keytab"
    keytab_before = keytab.read_bytes()

    down = _stack("down")
    assert down.returncode == 0, down.stderr
    status = _stack("status")
    assert status.returncode != 0
    assert set(_status_lines().values()) == {"down"}

    # Stale state an interrupted run leaves: a pid file naming a live process that is not ours
    # (it must survive), one naming no process, and a half-started daemon without a pid file.
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        (state / "krb5" / "krb5kdc.pid").write_text(f"{bystander.pid}\n")
        (state / "hpcapi" / "run" / "gunicorn.pid").write_text("999999\n")
        munge = Path(stack["HPCAPI_DEV_SLURM_STATE"]) / "munge"
        subprocess.run(
            ["runuser", "-u", "munge", "--", "munged", f"--socket={munge}/run/munge.socket.2",
             f"--key-file={munge}/etc/munge.key",
             f"--seed-file={munge}/lib/munged.seed",
             f"--log-file={munge}/log/munged.log",
             f"--pid-file={munge}/run/munged.pid"],
            check=True,
        )
        (munge / "run" / "munged.pid").unlink(missing_ok=True)

        started = time.monotonic()
        up = _stack("up")
        took = time.monotonic() - started
        assert up.returncode == 0, up.stdout + up.stderr
        print(f"dev/stack up after down took {took:.1f} s")
        assert bystander.poll() is None, "dev/stack up killed a process that was not its own"
    finally:
        bystander.kill()

    assert _status_lines() == {part: "up" for part in PARTS}
    # The KDC database and keytabs survived: alice's old keytab still gets a ticket.
    assert keytab.read_bytes() == keytab_before
    result = curl(stack, "whoami", kinit("alice"))
    assert result.status == 200
    assert result.json()["principal"] == f"alice@{REALM}"
    assert "copy" not in up.stderr
    assert "curl --negotiate" in up.stdout
