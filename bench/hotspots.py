"""Where a request's time goes inside hpcapi: its app in this process, profiled, on the dev stack.

Builds the app as a gunicorn worker does (create_app with the stack's configuration, its state
directory swapped for a temporary one so that the service's own journal is left alone) and
calls it through a WSGI test client with the identity header Apache would set, so that what is
timed is hpcapi's own work plus its calls to slurmrestd, without gunicorn or Apache.

For each of ping, a held submit and a keyed held submit: the p50 of N calls direct to
slurmrestd (the same session and token kind hpcapi uses), the p50 of N calls through the app,
and then cProfile's heaviest functions over N more calls through the app (by own time and by
cumulative time). Every job is held and cancelled at the end.

Run as root through bench/run's environment:  bench/hotspots [N] [--top K]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the checkout's bench and hpcapi
from bench.bench import HELD, JOB_NAME, PRINCIPAL, USER, Jobs, Stack, p50  # noqa: E402
from hpcapi.config import load_config  # noqa: E402
from hpcapi.slurm.endpoints import endpoints  # noqa: E402
from hpcapi.web import create_app  # noqa: E402


def timed(call: Callable[[], object], n: int) -> float:
    """The p50 of ``n`` calls, in milliseconds."""
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return p50(samples)


def profile(call: Callable[[], object], n: int, top: int) -> str:
    """cProfile's heaviest functions over ``n`` calls, by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    """Profile ping, submit and keyed submit in process against the dev stack's slurmrestd."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    stack = Stack()
    config_path = stack.state / "hpcapi" / "etc" / "hpcapi.conf"
    jobs = Jobs()
    with tempfile.TemporaryDirectory(prefix="hpcapi-profile-") as state:
        config = dataclasses.replace(load_config(str(config_path)), state_directory=state)
        app = create_app({"config": config})
        client = app.test_client()
        headers = {"X-Remote-User": PRINCIPAL}
        direct = stack.direct_session(USER)
        version = app.extensions["hpcapi"].backend.detect_version()
        ping_path = endpoints(version).ping.path()

        def ping() -> None:
            answer = client.get("/hpcapi/ping", headers=headers)
            if answer.status_code != 200:
                raise SystemExit(f"ping failed: {answer.get_json()}")

        def submit(keyed: bool = False) -> None:
            extra = {"Idempotency-Key": f"profile-{uuid.uuid4().hex}"} if keyed else {}
            answer = client.post("/hpcapi/submit_job", json=HELD, headers={**headers, **extra})
            body = answer.get_json()
            jobs.add(body.get("jobid") if answer.status_code == 200 else None, body)

        def direct_ping() -> None:
            direct.get(f"{stack.rest}{ping_path}", timeout=60).raise_for_status()

        print(f"bench/hotspots: Slurm {stack.release}, API {version}, n={args.n}, user {USER},"
              f" jobs named {JOB_NAME}")
        cases: dict[str, Callable[[], None]] = {
            "ping": ping, "submit": submit, "keyed submit": lambda: submit(keyed=True)}
        try:
            print(f"direct ping p50 {timed(direct_ping, args.n):.2f} ms")
            for name, call in cases.items():
                print(f"in-process {name} p50 {timed(call, args.n):.2f} ms")
                jobs.cancel()
            for name, call in cases.items():
                print(f"\n===== {name}: cProfile over {args.n} calls =====")
                print(profile(call, args.n, args.top))
                jobs.cancel()
        finally:
            jobs.cancel()
    os.sync()


if __name__ == "__main__":
    main()
