"""The long-lived objects a worker builds once at start-up and shares between requests."""

from __future__ import annotations

import logging
import pwd
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpcapi.config import ConfigError, ServerConfig, load_config
from hpcapi.core.submit import SubmitPolicy
from hpcapi.identity import IdentityPolicy, IdentityResolver
from hpcapi.model import Identity
from hpcapi.service.answers import SharedAnswers
from hpcapi.service.fairness import InFlightLimiter
from hpcapi.service.journal import Journal
from hpcapi.slurm.backend import SlurmBackend
from hpcapi.slurm.client import SlurmrestClient
from hpcapi.slurm.errors import SlurmrestAuthError, SlurmrestError, SlurmrestVersionError
from hpcapi.slurm.token import SigningKey, TokenMinter, read_key

if TYPE_CHECKING:  # history's use cases need Services: no import at run time
    from hpcapi.service.history import History

log = logging.getLogger("hpcapi")

# The account whose token is used for start-up questions that concern no user (which API
# versions slurmrestd serves). It must exist; it needs no Slurm association.
PROBE_USER = "nobody"


@dataclass(frozen=True)
class Services:
    """Configuration, identity resolution and the Slurm backend of one worker."""

    config: ServerConfig
    identities: IdentityResolver
    backend: SlurmBackend
    submit_policy: SubmitPolicy
    probe_user: Identity
    limiter: InFlightLimiter
    journal: Journal
    histories: SharedAnswers[History]  # by (user, hours)


def probe_identity(name: str = PROBE_USER) -> Identity:
    """The unprivileged account used for questions that concern no user."""
    entry = pwd.getpwnam(name)
    return Identity(principal="", local_user=name, uid=entry.pw_uid, gid=entry.pw_gid,
                    home=entry.pw_dir, shell=entry.pw_shell)


def open_journal(config: ServerConfig) -> Journal:
    """The host's journal in ``[state] directory``; an unusable directory stops start-up."""
    try:
        # Keys are kept as long as a retry may come back: the whole idempotency window.
        return Journal(config.state_directory, keep_seconds=config.history_max_hours * 3600)
    except (OSError, sqlite3.Error) as err:
        raise ConfigError(
            f"[state] directory = {config.state_directory}: cannot keep the journal there"
            f" ({err}); it must exist and be writable by hpcapi's user"
        ) from err


def make_backend(config: ServerConfig, key: bytes | SigningKey,
                 transport: Any = None) -> SlurmBackend:
    """The Slurm backend ``config`` describes, signing its tokens with ``key``."""
    minter = TokenMinter(key, config.token_lifetime, min_uid=config.min_uid)
    client = SlurmrestClient(
        config.slurmrestd_url,
        minter,
        timeout=config.backend_timeout,
        transport=transport,
        list_timeout=config.list_timeout,
    )
    return SlurmBackend(client, config.api_version, probe_identity(), config.max_parallel_lists)


def build_services(test_config: Mapping[str, Any]) -> Services:
    """Read the configuration and key, connect the backend, choose the API version."""
    config = test_config.get("config") or load_config(test_config.get("config_path"))
    key = test_config.get("jwt_key") or read_key(config.jwt_key_file, config.jwt_algorithm,
                                                 config.jwt_kid)
    backend = make_backend(config, key, test_config.get("slurm_transport"))
    probe_user = backend.probe_user
    if test_config.get("detect_version", True):
        try:
            backend.detect_version()
        except (SlurmrestVersionError, SlurmrestAuthError):
            raise  # a configuration mistake: stop start-up with its message
        except SlurmrestError as exc:
            # slurmrestd down at start-up is an outage, not a mistake: answer backend_unavailable
            # until it is back, then detect on first use.
            log.warning("cannot detect the slurmrestd API version yet: %s", exc.message)
    identities = IdentityResolver(
        IdentityPolicy(
            config.allowed_realms, config.min_uid, config.principal_map, config.max_uid
        )
    )
    return Services(
        config=config,
        identities=identities,
        backend=backend,
        submit_policy=SubmitPolicy(allowed_partitions=config.allowed_partitions,
                                   required_fields=config.required_fields,
                                   defaults=config.job_defaults),
        probe_user=probe_user,
        limiter=InFlightLimiter(config.in_flight_per_user),
        journal=open_journal(config),
        histories=SharedAnswers(config.history_max_staleness, config.history_cache_jobs,
                                name="history"),
    )
