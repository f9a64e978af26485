"""How hpcapi reaches this cluster's slurmrestd, proven on the real thing: on Slurm 25.11 over
slurmrestd's unix socket with RS256 tokens that Slurm checks against its jwks= file; on 22.05
over TCP with the HS256 key."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.integration.conftest import scontrol_job

pytestmark = pytest.mark.e2e


def site(stack) -> dict[str, str]:
    conf = Path(stack["HPCAPI_DEV_STATE"]) / "hpcapi" / "etc" / "hpcapi.conf"
    return dict(line.split(" = ", 1) for line in conf.read_text().splitlines() if " = " in line)


@pytest.mark.slurm_release("25.11", reason="the 25.11 cluster runs slurmrestd on a unix socket"
                           " and Slurm with jwks=")
def test_25_11_is_reached_over_a_unix_socket_with_rs256_tokens(stack, api, cleanup_jobs):
    config = site(stack)
    assert config["url"].startswith("unix:///")
    assert Path(config["url"].removeprefix("unix://")).is_socket()
    assert (config["jwt_algorithm"], config["jwt_kid"]) == ("RS256", "hpcapi-dev")
    slurm_conf = Path(stack["SLURM_CONF"]).read_text()
    (jwks,) = [part.removeprefix("jwks=") for line in slurm_conf.splitlines()
               if line.startswith("AuthAltParameters=")
               for part in line.split("=", 1)[1].split(",") if part.startswith("jwks=")]
    keys = json.loads(Path(jwks).read_text())["keys"]
    assert [(k["kid"], k["alg"]) for k in keys] == [("hpcapi-dev", "RS256")]
    assert "d" not in keys[0]  # Slurm holds the public half only

    # A job submitted through it runs as alice: Slurm accepted the RS256 token.
    answer = api("alice").post_json("submit_job", {"partition": "quick", "hold": True,
                                                   "script-body": "#!/bin/bash\ntrue\n"})
    assert answer.status_code == 200, answer.text
    cleanup_jobs.append(answer.json()["reason"])
    assert scontrol_job(answer.json()["reason"])["UserId"].startswith("alice(")


def test_a_token_of_the_configured_algorithm_reaches_slurm(stack, api):
    ping = api("alice").get("ping")
    assert ping.status_code == 200, ping.text
    config = site(stack)
    algorithm = config.get("jwt_algorithm", "HS256")
    assert algorithm == ("RS256" if stack["HPCAPI_DEV_SLURM"] == "25.11" else "HS256")
    # Never a key in the answer, whichever it is.
    key = Path(config["jwt_key_file"]).read_bytes()
    assert base64.b64encode(key).decode()[:20] not in ping.text
