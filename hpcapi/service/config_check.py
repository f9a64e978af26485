"""Checking a site configuration as start-up reads it, and, on request, against Slurm itself.

``hpcapi-server check-config`` (and ``systemctl reload hpcapi``, which runs it first) and the
server's own start-up and reloads all read the configuration through ``take_snapshot``, so a
file that passes the check is one the server takes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hpcapi.config import ConfigError, ServerConfig, config_path, load_config
from hpcapi.service.context import make_backend
from hpcapi.slurm.errors import SlurmrestError
from hpcapi.slurm.token import SigningKey, TokenKeyError, read_key


@dataclass(frozen=True)
class Snapshot:
    """A configuration as start-up takes it: the file validated and its signing key read."""

    path: str
    config: ServerConfig
    jwt_key: SigningKey


def take_snapshot(path: str | None = None) -> Snapshot:
    """Read and check the file, its principal map's users, the key and the state directory;
    ConfigError naming every problem, one line each."""
    path = path or config_path()
    config = load_config(path)
    problems = []
    key = SigningKey(config.jwt_algorithm, b"")
    try:
        key = read_key(config.jwt_key_file, config.jwt_algorithm, config.jwt_kid)
    except TokenKeyError as exc:
        problems.append(f"{path}: [slurmrestd] jwt_key_file: {exc}")
    state = config.state_directory
    if not os.path.isdir(state) or not os.access(state, os.W_OK | os.X_OK):
        problems.append(f"{path}: [state] directory: {state} is not a directory this user"
                        " can write")
    if problems:
        raise ConfigError(*problems)
    return Snapshot(path, config, key)


@dataclass(frozen=True)
class OnlineReport:
    """What Slurm said about a configuration: facts learnt, and problems (one line each)."""

    facts: tuple[str, ...]
    problems: tuple[str, ...]


def check_online(snapshot: Snapshot, transport: Any = None) -> OnlineReport:
    """Ask slurmrestd which API version would be used, whether a minted token is accepted, and
    whether each allowed partition exists."""
    path, config = snapshot.path, snapshot.config
    backend = make_backend(config, snapshot.jwt_key, transport)
    facts: list[str] = []
    problems: list[str] = []
    try:
        version = backend.detect_version()
        facts.append(f"slurmrestd {config.slurmrestd_url}: API version {version}")
        backend.ping(backend.probe_user)
        facts.append(f"slurmrestd accepts tokens signed with {config.jwt_key_file}")
        known = {partition.name for partition in backend.partitions(backend.probe_user)}
    except SlurmrestError as exc:
        problems.append(f"{path}: [slurmrestd]: {exc.message}")
        return OnlineReport(tuple(facts), tuple(problems))
    for name in config.allowed_partitions:
        if name not in known:
            problems.append(f"{path}: [submit] allowed_partitions: Slurm has no partition"
                            f" {name!r} (it has: {', '.join(sorted(known)) or 'none'})")
    return OnlineReport(tuple(facts), tuple(problems))
