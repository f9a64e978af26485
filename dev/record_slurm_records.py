"""Record real slurmrestd answers from the dev stack's chosen cluster as test data.

Run by dev/record-slurm-records (which sets the environment from `dev/stack env`). It submits a
few short jobs as alice (completed, failed with exit 3, cancelled while running, held), waits
for accounting, and writes, for every API version the cluster serves that hpcapi speaks,
tests/data/slurmrestd/<version>/:

- live.json, accounting.json: those jobs only, as /slurm/.../jobs and /slurmdb/.../jobs list them
- partitions.json, nodes.json, ping.json: the whole answers (this cluster's)
- errors.json: answers to calls that fail (unknown job, bad token, refused submission, ...),
  each as {"status": HTTP status, "body": the decoded answer or its text}
- array.json: an array of three tasks run one at a time (``0-2%1``), while task 0 runs, as
  GET job/<array id> answers in slurmctld's and in accounting's view

`dev/record-slurm-records array nodes` records only the files named (array.json, and nodes.json
for every version, v0.0.38 included).

The "kinds" key of live.json and accounting.json names the job of each kind. Every version's
records describe the same jobs, so the reader tests can expect the same values from each.
"""

from __future__ import annotations

import json
import os
import pwd
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import requests

from hpcapi.slurm.endpoints import endpoints, history_query
from hpcapi.slurm.versions import SUPPORTED_API_VERSIONS

# What each release serves (BUILD-25.11.md: 25.11 answers 404 for v0.0.38 and v0.0.40).
RELEASE_VERSIONS = {
    "22.05": ["v0.0.38"],
    "25.11": ["v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44"],
}
KEEP_META = ("plugin", "slurm")  # the rest of "meta" names this machine and its user
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/home/alice", "USER": "alice"}


def token(key: bytes, user: str, lifetime: int = 600) -> str:
    """An HS256 JWT for ``user``, as hpcapi mints them."""
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + lifetime, "sun": user}, key, algorithm="HS256")


def scrub(answer: Any) -> Any:
    """The answer without what describes only this machine (meta.client, command lines)."""
    if isinstance(answer, dict) and isinstance(answer.get("meta"), dict):
        answer = {**answer, "meta": {k: v for k, v in answer["meta"].items() if k in KEEP_META}}
    return answer


def decoded(response: requests.Response) -> dict[str, Any]:
    """An answer as {"status", "body"}; a body that is not JSON is kept as text."""
    try:
        body: Any = scrub(response.json())
    except ValueError:
        body = response.text
    return {"status": response.status_code, "body": body}


class Recorder:
    """Calls one cluster's slurmrestd as alice."""

    def __init__(self, base: str, key: bytes, submit_version: str) -> None:
        self.base, self.key, self.version = base, key, submit_version
        self.session = requests.Session()
        self.session.headers.update({"X-SLURM-USER-NAME": "alice",
                                     "X-SLURM-USER-TOKEN": token(key, "alice")})

    def submit(self, name: str, script: str, **extra: Any) -> int:
        """Submit one job as alice; its id."""
        job: dict[str, Any] = {"name": name, "partition": "quick",
                               "current_working_directory": "/home/alice",
                               "standard_output": "/home/alice/record-%j.out", **extra}
        if self.version == "v0.0.38":
            job["environment"] = ENV
        else:
            job["environment"] = [f"{k}={v}" for k, v in ENV.items()]
        path = endpoints(self.version).submit.path()
        answer = self.session.post(self.base + path, json={"script": script, "job": job})
        answer.raise_for_status()
        return int(answer.json()["job_id"])

    def get(self, path: str, **params: str) -> requests.Response:
        """GET one path as alice."""
        return self.session.get(self.base + path, params=params, timeout=30)

    def cancel(self, job_id: int) -> None:
        """Cancel one of alice's jobs."""
        path = endpoints(self.version).cancel.path(job_id=job_id)
        self.session.delete(self.base + path, timeout=30)


def history_params(version: str) -> dict[str, str]:
    """The last hour of alice's accounting, as hpcapi asks for it in ``version``."""
    alice = pwd.getpwnam("alice")
    return history_query(version, "alice", alice.pw_gid, 3600, time.time())


def record_errors(rec: Recorder, version: str, finished_job: int) -> dict[str, Any]:
    """Answers to calls that fail, for the error readers."""
    ends = endpoints(version)
    base = rec.base
    stale = {"X-SLURM-USER-NAME": "alice",
             "X-SLURM-USER-TOKEN": token(b"not the cluster's key" * 2, "alice")}
    no_job = 999999999
    job = {"name": "rec-refused", "partition": "no-such-partition",
           "current_working_directory": "/home/alice",
           "environment": ENV if version == "v0.0.38" else [f"{k}={v}" for k, v in ENV.items()]}
    calls = {
        "live_job_unknown": rec.get(ends.live_job.path(job_id=no_job)),
        "accounting_job_unknown": rec.get(ends.accounting_job.path(job_id=no_job)),
        "cancel_unknown": rec.session.delete(base + ends.cancel.path(job_id=no_job)),
        "cancel_finished": rec.session.delete(base + ends.cancel.path(job_id=finished_job)),
        "submit_bad_partition": rec.session.post(
            base + ends.submit.path(), json={"script": "#!/bin/bash\ntrue\n", "job": job}),
        "ping_bad_token": requests.get(base + ends.ping.path(), headers=stale, timeout=30),
        "accounting_jobs_bad_token": requests.get(base + ends.accounting_jobs.path(), headers=stale,
                                          params=history_params(version), timeout=30),
        "live_jobs_bad_token": requests.get(base + ends.live_jobs.path(), headers=stale,
                                            timeout=30),
        "no_token": requests.get(base + ends.ping.path(), timeout=30),
    }
    return {name: decoded(response) for name, response in calls.items()}


def record_array(rec: Recorder, versions: list[str], repo: Path) -> None:
    """Write array.json: one array's records while its first task runs, in every version."""
    array_id = rec.submit("rec-array", "#!/bin/bash\nsleep 10\n", array="0-2%1",
                          standard_output="/home/alice/record-%A_%a.out")
    time.sleep(4)
    for version in versions:
        ends = endpoints(version)
        live = scrub(rec.get(ends.live_job.path(job_id=array_id)).json())
        accounting: dict[str, Any] = {}
        for _ in range(20):  # slurmdbd learns of the running task a little after slurmctld
            accounting = scrub(rec.get(ends.accounting_job.path(job_id=array_id)).json())
            if len(accounting.get("jobs") or []) >= 2:
                break
            time.sleep(0.5)
        document = {"array_job_id": array_id, "live": live, "accounting": accounting}
        write(repo / "tests/data/slurmrestd" / version / "array.json", document)
        print(f"{version}: array {array_id}")
    rec.cancel(array_id)


def main() -> None:
    """Record the chosen cluster's answers into the test data."""
    repo = Path(sys.argv[1])
    only = set(sys.argv[2:])
    if not only <= {"array", "nodes"}:
        raise SystemExit(f"unknown parts {sorted(only - {'array', 'nodes'})}: array, nodes")
    release = os.environ["HPCAPI_DEV_SLURM"]
    versions = RELEASE_VERSIONS[release]
    if not set(versions) <= set(SUPPORTED_API_VERSIONS):
        raise SystemExit(f"hpcapi does not speak all of {versions}")
    key = (Path(os.environ["HPCAPI_DEV_SLURM_STATE"]) / "slurm/etc/jwt_hs256.key").read_bytes()
    base = os.environ["HPCAPI_DEV_SLURMRESTD"]
    rec = Recorder(base, key, versions[-1])
    if only:
        if "array" in only:
            record_array(rec, versions, repo)
        for version in versions if "nodes" in only else []:
            nodes = scrub(rec.get(endpoints(version).nodes.path()).json())
            write(repo / "tests/data/slurmrestd" / version / "nodes.json", nodes)
        return
    record_array(rec, versions, repo)
    ids = {
        "completed": rec.submit("rec-completed", "#!/bin/bash\ntrue\n"),
        "failed": rec.submit("rec-failed", "#!/bin/bash\nexit 3\n"),
        "cancelled": rec.submit("rec-cancelled", "#!/bin/bash\nsleep 60\n"),
        "held": rec.submit("rec-held", "#!/bin/bash\ntrue\n", hold=True),
    }
    time.sleep(4)
    rec.cancel(ids["cancelled"])
    time.sleep(4)
    wanted = set(ids.values())
    for version in versions:
        ends = endpoints(version)
        live = [j for j in rec.get(ends.live_jobs.path()).json()["jobs"] if j["job_id"] in wanted]
        db: list[dict[str, Any]] = []
        for _ in range(30):
            answer = rec.get(ends.accounting_jobs.path(), **history_params(version)).json()
            db = [j for j in answer["jobs"] if j["job_id"] in wanted]
            if len(db) == len(wanted):
                break
            time.sleep(1)
        out = repo / "tests/data/slurmrestd" / version
        out.mkdir(parents=True, exist_ok=True)
        write(out / "live.json", {"kinds": ids, "jobs": live})
        write(out / "accounting.json", {"kinds": ids, "jobs": db})
        if version != "v0.0.38":  # 22.05's recorded files predate these; kept as they were
            write(out / "partitions.json", scrub(rec.get(ends.partitions.path()).json()))
            write(out / "nodes.json", scrub(rec.get(ends.nodes.path()).json()))
            write(out / "ping.json", scrub(rec.get(ends.ping.path()).json()))
            write(out / "errors.json", record_errors(rec, version, ids["completed"]))
        print(f"{version}: {len(live)} live and {len(db)} accounting records: {ids}")
    rec.cancel(ids["held"])


def write(path: Path, document: Any) -> None:
    """Write one JSON document, indented like the others."""
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
