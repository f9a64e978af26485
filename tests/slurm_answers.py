"""Test helper: slurmrestd answers for the fake, built from the real recorded records.

The records in tests/data/slurmrestd/<version>/ were recorded from real slurmrestd servers
(v0.0.38: Slurm 22.05; v0.0.41-v0.0.44: Slurm 25.11); these helpers copy one and change only
what a test is about (its id, owner, state, comment or submit time), so that everything else a
reader looks at stays as Slurm wrote it.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from conftest import JWT_KEY, FakeSlurmrestd, make_server_config, openapi_spec

from hpcapi.config import ServerConfig
from hpcapi.model import Identity
from hpcapi.service.context import Services, build_services

DATA = Path(__file__).resolve().parent / "data" / "slurmrestd"

V38 = "v0.0.38"
V44 = "v0.0.44"

ALICE = Identity("alice@HPCAPI.TEST", "alice", 1001, 1001, "/home/alice", "/bin/bash")
BOB = Identity("bob@HPCAPI.TEST", "bob", 1002, 1002, "/home/bob", "/bin/bash")


@cache
def _recorded(version: str, name: str) -> Any:
    return json.loads((DATA / version / f"{name}.json").read_text())


def recorded(version: str, name: str) -> Any:
    """A recorded answer file (live, accounting, partitions, nodes, ping, errors), a copy."""
    return copy.deepcopy(_recorded(version, name))


def _recorded_record(version: str, source: str, kind: str) -> dict[str, Any]:
    answer = recorded(version, source)
    job_id = answer["kinds"][kind]
    (record,) = [job for job in answer["jobs"] if job["job_id"] == job_id]
    result: dict[str, Any] = record
    return result


def _no_val(number: int) -> dict[str, Any]:
    return {"set": True, "infinite": False, "number": number}


def live_record(
    version: str = V38, *, kind: str = "held", job_id: int | None = None, user: str = "alice",
    state: str | None = None, comment: str | None = None, submit_time: int | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """A recorded slurmctld job record (``kind``: completed, failed, cancelled, held), changed."""
    record = _recorded_record(version, "live", kind)
    if job_id is not None:
        record["job_id"] = job_id
    record["user_name"] = user
    if state is not None:
        record["job_state"] = state if version == V38 else [state]
    if comment is not None:
        record["comment"] = comment
    if submit_time is not None:
        record["submit_time"] = submit_time if version == V38 else _no_val(submit_time)
    if name is not None:
        record["name"] = name
    return record


def accounting_record(
    version: str = V38, *, kind: str = "completed", job_id: int | None = None,
    user: str = "alice", state: str | None = None, comment: str | None = None,
    submit_time: int | None = None, name: str | None = None, end_time: int | None = None,
) -> dict[str, Any]:
    """A recorded slurmdbd job record (``kind``: completed, failed, cancelled, held), changed."""
    record = _recorded_record(version, "accounting", kind)
    if job_id is not None:
        record["job_id"] = job_id
    record["user"] = user
    if state is not None:
        record["state"]["current"] = state if version == V38 else [state]
    if comment is not None:
        record["comment"]["job"] = comment
    if submit_time is not None:
        record["time"]["submission"] = submit_time
    if end_time is not None:
        record["time"]["end"] = end_time
    if name is not None:
        record["name"] = name
    return record


def jobs_answer(*records: dict[str, Any]) -> dict[str, Any]:
    """A job or job list answer holding ``records``."""
    return {"jobs": list(records), "errors": []}


def errors_answer(number: int, error: str, description: str = "") -> dict[str, Any]:
    """An answer with one entry in ``errors[]``, as slurmrestd reports Slurm's refusals."""
    return {"errors": [{"error_number": number, "error": error, "description": description,
                        "source": "test"}]}


NO_SUCH_JOB = errors_answer(2017, "Invalid job id specified", "Invalid JobID=0 rejected")


def slash(version: str) -> str:
    """The trailing slash list and ping paths take from v0.0.40 on."""
    return "" if version == V38 else "/"


def paths(version: str) -> dict[str, str]:
    """The fixed slurmrestd paths hpcapi uses with ``version`` (see hpcapi/slurm/endpoints.py)."""
    end = slash(version)
    return {
        "ping": f"/slurm/{version}/ping{end}",
        "submit": f"/slurm/{version}/job/submit",
        "live_jobs": f"/slurm/{version}/jobs{end}",
        "accounting_jobs": f"/slurmdb/{version}/jobs{end}",
        "partitions": f"/slurm/{version}/partitions{end}",
        "nodes": f"/slurm/{version}/nodes{end}",
    }


def live_job_path(version: str, job_id: int | str) -> str:
    """The path of one job at slurmctld (GET) and its cancel (DELETE)."""
    return f"/slurm/{version}/job/{job_id}"


def accounting_job_path(version: str, job_id: int | str) -> str:
    """The path of one job in accounting."""
    return f"/slurmdb/{version}/job/{job_id}"


def serve_v0044(fake: FakeSlurmrestd) -> None:
    """Make the fake a Slurm 25.11 slurmrestd: it offers v0.0.42-v0.0.44 and pings as recorded."""
    fake.answer_json("GET", "/openapi/v3", openapi_spec("v0.0.42", "v0.0.43", V44))
    fake.answer_json("GET", paths(V44)["ping"], recorded(V44, "ping"))


def unknown_job(fake: FakeSlurmrestd, version: str, job_id: int) -> None:
    """Neither slurmctld nor slurmdbd knows ``job_id`` (as Slurm 22.05 / 25.11 answer that)."""
    status = 500 if version == V38 else 404
    fake.answer_json("GET", live_job_path(version, job_id), NO_SUCH_JOB, status=status)
    fake.answer_json("GET", accounting_job_path(version, job_id), {"jobs": [], "errors": []})


def nodes_answer(*nodes: tuple[str, int, list[str]]) -> dict[str, Any]:
    """A node list answer: (name, real_memory MB, partitions) for each node."""
    return {
        "nodes": [{"name": name, "real_memory": memory, "partitions": parts}
                  for name, memory, parts in nodes],
        "errors": [],
    }


def make_services(transport: FakeSlurmrestd, config: ServerConfig | None = None,
                  detect_version: bool = True) -> Services:
    """The Services a worker builds at start-up, over the fake slurmrestd."""
    return build_services({
        "config": config or make_server_config(),
        "jwt_key": JWT_KEY,
        "slurm_transport": transport,
        "detect_version": detect_version,
    })
