"""Reloading hpcapi-server (gunicorn) with SIGHUP: a broken configuration keeps the running
service on the configuration read before; a good one is taken. A server of its own, on its own
socket, over the dev stack's slurmrestd."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import OwnServer

pytestmark = pytest.mark.integration

SERVER = str(Path(sys.executable).parent / "hpcapi-server")
GUNICORN_CONF = Path(__file__).resolve().parents[2] / "systemd" / "gunicorn.conf.py"


@pytest.fixture
def server(own_server) -> OwnServer:
    return own_server()


def test_a_hup_with_a_broken_config_keeps_serving_then_a_fixed_one_is_taken(server) -> None:
    assert server.partition_names() == ["norm", "quick"]
    good = server.conf.read_text()

    server.conf.write_text(good.replace("[submit]\n", "[submit]\ncolour = red\n"))
    server.hup_and_wait("configuration not reloaded")
    assert server.partition_names() == ["norm", "quick"]  # normal answers, the old configuration
    log = server.log.read_text()
    assert log.count("unknown key 'colour' in [submit]") == 1  # the reason, logged once
    assert "Traceback" not in log and "Worker failed to boot" not in log

    server.conf.write_text(good.replace("allowed_partitions = norm, quick",
                                        "allowed_partitions = quick")
                               .replace("default_partition = norm", "default_partition = quick"))
    server.hup_and_wait(f"configuration {server.conf} reloaded")
    assert server.partition_names() == ["quick"]


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
        " default_partition, defaults, job_lang, job_path, max_body_bytes, required_fields,"
        " working_directory)"]
    check = subprocess.run([SERVER, "check-config", str(conf)], capture_output=True, text=True,
                           timeout=60, check=False)
    assert (check.returncode, len(check.stderr.splitlines())) == (1, 2)


def test_check_config_online_asks_the_dev_stack_s_slurm(server, stack, slurm_api) -> None:
    done = subprocess.run([SERVER, "check-config", "--online", str(server.conf)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    # The stack's own url and key (25.11: its unix socket and an RS256 key).
    site = dict(line.split(" = ", 1) for line in server.conf.read_text().splitlines()
                if " = " in line)
    assert done.stdout.splitlines() == [
        f"slurmrestd {site['url']}: API version {slurm_api.newest}",
        f"slurmrestd accepts tokens signed with {site['jwt_key_file']}",
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
