"""``hpcapi-server``: run hpcapi under gunicorn with safe reloads, and check a configuration.

``hpcapi-server serve [GUNICORN OPTIONS]`` is gunicorn serving hpcapi, with one difference:
the site configuration (and its signing key) is read by the master, at start-up and on each
HUP, and handed to the workers it forks. A HUP with a broken file logs its problems once and
keeps the configuration read before, so the new workers serve as the old ones did; a broken
file at start-up is one line per problem and exit status 78 (EX_CONFIG), which the systemd unit
does not restart on.

``hpcapi-server check-config [FILE] [--online]`` checks a file as that start-up does, and with
``--online`` also against Slurm; exit status 0 when it is fine, 1 when not.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from typing import Any

from gunicorn.app.base import Application

from hpcapi.config import ConfigError
from hpcapi.service.config_check import Snapshot, check_online, take_snapshot
from hpcapi.slurm.errors import SlurmrestAuthError, SlurmrestVersionError
from hpcapi.slurm.token import TokenKeyError
from hpcapi.telemetry import MULTIPROCESS_DIRECTORY_ENV

log = logging.getLogger("hpcapi")

EXIT_CONFIG = 78  # sysexits.h EX_CONFIG: the unit's RestartPreventExitStatus
# gunicorn's Arbiter.WORKER_BOOT_ERROR: a worker that cannot start stops the master.
WORKER_BOOT_ERROR = 3


class HpcapiApplication(Application):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn serving hpcapi from a configuration the master has read and checked."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        super().__init__(usage="hpcapi-server serve [GUNICORN OPTIONS]",
                         prog="hpcapi-server serve")

    def init(self, parser: Any, opts: Any, args: list[str]) -> None:
        """No application argument: the application is hpcapi."""
        if args:
            parser.error(f"unexpected arguments {' '.join(args)}: the application is hpcapi")

    def load_config(self) -> None:
        """gunicorn's configuration, with the hook that keeps the metrics of gone workers right."""
        super().load_config()
        self.cfg.set("child_exit", _child_exit)

    def load(self) -> Any:
        """Build the Flask app in a worker, from the master's snapshot."""
        from hpcapi.web import create_app

        try:
            return create_app({"config": self.snapshot.config, "jwt_key": self.snapshot.jwt_key})
        except (ConfigError, TokenKeyError, SlurmrestVersionError, SlurmrestAuthError) as exc:
            # One line, not a traceback per worker: these are the site's to fix.
            log.error("hpcapi cannot start: %s", exc)
            sys.exit(WORKER_BOOT_ERROR)

    def reload(self) -> None:
        """On HUP: take the changed configuration only if it passes the check."""
        try:
            snapshot = take_snapshot(self.snapshot.path)
        except ConfigError as exc:
            log.error("configuration not reloaded, still serving the one read before: %s", exc)
            return
        old_cfg: Any = getattr(self, "cfg")  # noqa: B009 - gunicorn's, untyped
        try:
            super().reload()
        except SystemExit:  # gunicorn exits on a gunicorn.conf.py it cannot read
            self.cfg = old_cfg
            log.error("gunicorn configuration not reloaded, still serving the one read before")
            return
        self.snapshot = snapshot
        log.info("configuration %s reloaded", snapshot.path)


def _check_config(args: argparse.Namespace) -> int:
    try:
        snapshot = take_snapshot(args.file)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    problems: tuple[str, ...] = ()
    if args.online:
        report = check_online(snapshot)
        for fact in report.facts:
            print(fact)
        problems = report.problems
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"{snapshot.path}: OK")
    return 0


def _serve(gunicorn_args: list[str]) -> int:
    try:
        snapshot = take_snapshot()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"hpcapi-server: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    sys.argv = ["hpcapi-server serve", *gunicorn_args]
    application = HpcapiApplication(snapshot)
    config = snapshot.config
    try:
        prepare_metrics_directory(
            config.metrics_directory or os.path.join(config.state_directory, "metrics"),
            application.cfg.uid, application.cfg.gid)
    except OSError as exc:
        print(f"hpcapi-server: {snapshot.path}: [metrics] directory: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    application.run()
    return 0


def prepare_metrics_directory(directory: str, uid: int, gid: int) -> None:
    """Remove an earlier run's metrics from ``directory`` (making it if need be, owned by the
    workers' user) and point prometheus_client there, before any worker imports it."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if os.geteuid() == 0:  # the master drops to the workers' user only in them
        os.chown(directory, uid, gid)
    for name in os.listdir(directory):
        # prometheus_client's files are <kind>_<pid>.db: keep those of a live process (another
        # server sharing the directory), as its own mark_process_dead would.
        match = re.fullmatch(r"[a-z_]+_(\d+)\.db", name)
        if match and not os.path.exists(f"/proc/{match[1]}"):
            os.unlink(os.path.join(directory, name))
    os.environ[MULTIPROCESS_DIRECTORY_ENV] = directory


def _child_exit(server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: drop a gone worker's gauges (requests in flight)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def main(argv: list[str] | None = None) -> int:
    """The ``hpcapi-server`` command."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # everything after it is gunicorn's
        return _serve(argv[1:])
    parser = argparse.ArgumentParser(prog="hpcapi-server", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", help="run hpcapi under gunicorn (options are gunicorn's)")
    check = commands.add_parser("check-config", help="check a configuration file")
    check.add_argument("file", nargs="?", metavar="FILE",
                       help="the file ($HPCAPI_CONFIG or /etc/hpcapi/hpcapi.conf by default)")
    check.add_argument("--online", action="store_true",
                       help="also ask Slurm: API version, token accepted, partitions exist")
    args = parser.parse_args(argv)
    return _check_config(args)


if __name__ == "__main__":
    sys.exit(main())
