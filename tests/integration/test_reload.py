"""Reloading hpcapi-server (gunicorn) with SIGHUP: a broken configuration keeps the running
service on the configuration read before; a good one is taken. A server of its own, on its own
socket, over the dev stack's slurmrestd."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SERVER = str(Path(sys.executable).parent / "hpcapi-server")
GUNICORN_CONF = Path(__file__).resolve().parents[2] / "systemd" / "gunicorn.conf.py"


class Server:
    def __init__(self, place: Path) -> None:
        self.place = place
        self.conf = place / "hpcapi.conf"
        self.socket = place / "gunicorn.sock"
        self.log = place / "error.log"
        self.pidfile = place / "gunicorn.pid"

    def partitions(self) -> list[str]:
        """The partitions alice is offered (what allowed_partitions says)."""
        out = subprocess.run(
            ["curl", "-sS", "--max-time", "20", "--unix-socket", str(self.socket),
             "-H", "X-Remote-User: alice@HPCAPI.TEST", "http://localhost/hpcapi/partitions"],
            capture_output=True, text=True, check=True).stdout
        body = json.loads(out)
        assert body["status"] == "call_success", body
        return [p["name"] for p in body["partitions"]]

    def hup_and_wait(self, log_line: str) -> None:
        """HUP the master; return once its log has ``log_line`` and the new workers answer."""
        before = self.log.read_text().count(log_line)
        os.kill(int(self.pidfile.read_text()), signal.SIGHUP)
        deadline = time.monotonic() + 30
        while self.log.read_text().count(log_line) == before:
            assert time.monotonic() < deadline, self.log.read_text()[-2000:]
            time.sleep(0.1)
        time.sleep(2)  # the old workers' graceful exit; the new ones are booting


@pytest.fixture
def server(stack) -> Iterator[Server]:
    place = Path(tempfile.mkdtemp(prefix="hpcapi-reload-"))
    served = Server(place)
    (place / "state").mkdir()
    site = Path(stack["HPCAPI_DEV_STATE"]) / "hpcapi" / "etc" / "hpcapi.conf"
    lines = [f"directory = {place / 'state'}" if line.startswith("directory =") else line
             for line in site.read_text().splitlines()]
    served.conf.write_text("\n".join(lines) + "\n")
    env = {"PATH": "/usr/bin:/bin", "HPCAPI_CONFIG": str(served.conf)}
    subprocess.run([SERVER, "serve", "-c", str(GUNICORN_CONF), "--bind", f"unix:{served.socket}",
                    "--pid", str(served.pidfile), "--error-logfile", str(served.log),
                    "--access-logfile", "/dev/null", "--workers", "1", "--daemon"],
                   env=env, check=True, cwd="/")
    deadline = time.monotonic() + 30
    while not (served.socket.exists() and served.pidfile.exists()):
        assert time.monotonic() < deadline, "hpcapi-server did not start"
        time.sleep(0.1)
    yield served
    os.kill(int(served.pidfile.read_text()), signal.SIGTERM)
    deadline = time.monotonic() + 30
    while served.pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    shutil.rmtree(place)


def test_a_hup_with_a_broken_config_keeps_serving_then_a_fixed_one_is_taken(server) -> None:
    assert server.partitions() == ["norm", "quick"]
    good = server.conf.read_text()

    server.conf.write_text(good.replace("[submit]\n", "[submit]\ncolour = red\n"))
    server.hup_and_wait("configuration not reloaded")
    assert server.partitions() == ["norm", "quick"]  # normal answers, the old configuration
    log = server.log.read_text()
    assert log.count("unknown key 'colour' in [submit]") == 1  # the reason, logged once
    assert "Traceback" not in log and "Worker failed to boot" not in log

    server.conf.write_text(good.replace("allowed_partitions = norm, quick",
                                        "allowed_partitions = quick")
                               .replace("default_partition = norm", "default_partition = quick"))
    server.hup_and_wait(f"configuration {server.conf} reloaded")
    assert server.partitions() == ["quick"]


def test_a_broken_config_at_start_up_is_one_line_per_problem_and_ex_config(tmp_path) -> None:
    conf = tmp_path / "hpcapi.conf"
    conf.write_text("[identity]\nallowed_realms = HPCAPI.TEST\nmin_uid = lots\n"
                    "[submit]\nallowed_partitions = norm\ncolour = red\n")
    done = subprocess.run([SERVER, "serve", "-c", str(GUNICORN_CONF), "--bind",
                           f"unix:{tmp_path}/g.sock"], env={"PATH": "/usr/bin:/bin",
                           "HPCAPI_CONFIG": str(conf)}, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 78
    assert done.stderr.splitlines() == [
        f"hpcapi-server: {conf}: [identity] min_uid: 'lots' is not an integer",
        f"hpcapi-server: {conf}: unknown key 'colour' in [submit] (known: allowed_partitions,"
        " default_partition, job_lang, job_path, max_body_bytes, working_directory)"]
    check = subprocess.run([SERVER, "check-config", str(conf)], capture_output=True, text=True,
                           timeout=60, check=False)
    assert (check.returncode, len(check.stderr.splitlines())) == (1, 2)


def test_check_config_online_asks_the_dev_stack_s_slurm(server, stack, slurm_api) -> None:
    done = subprocess.run([SERVER, "check-config", "--online", str(server.conf)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"slurmrestd {stack['HPCAPI_DEV_SLURMRESTD']}: API version {slurm_api.newest}",
        f"slurmrestd accepts tokens signed with {stack['HPCAPI_DEV_STATE']}/hpcapi/etc/"
        "jwt_hs256.key",
        f"{server.conf}: OK"]
    # A partition Slurm does not have passes every offline check, then fails every submit.
    server.conf.write_text(server.conf.read_text().replace(
        "allowed_partitions = norm, quick", "allowed_partitions = norm, quick, gpu"))
    done = subprocess.run([SERVER, "check-config", "--online", str(server.conf)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{server.conf}: [submit] allowed_partitions: Slurm has no partition 'gpu' (it has:"
        " norm, quick, restricted)"]
