"""Who is calling: the Kerberos principal Apache authenticated, mapped to a local Unix user.

Apache (mod_auth_gssapi, ``GssapiLocalName Off``) passes the full principal in one request
header. The mapping is an allow-list, applied here and nowhere else: the realm must be allowed;
an instance principal (``alice/admin@R``) never becomes ``alice`` unless the site maps that exact
principal; the local user must exist with a uid of at least ``min_uid``; root never.
"""

from __future__ import annotations

import pwd
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.model import Identity

# primary[/instance]@REALM, each component free of separators, whitespace and control chars.
_PRINCIPAL_RE = re.compile(
    r"(?P<primary>[^/@\s\x00-\x1f\x7f]{1,256})"
    r"(?:/(?P<instance>[^/@\s\x00-\x1f\x7f]{1,256}))?"
    r"@(?P<realm>[A-Za-z0-9][A-Za-z0-9.-]{0,254})"
)
# POSIX-portable user names, as useradd accepts them by default.
LOCAL_USER_RE = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# The highest uid hpcapi acts for by default: system accounts also live above the regular
# range (Debian: slurm 64030, nobody 65534).
DEFAULT_MAX_UID = 60000


@dataclass(frozen=True)
class IdentityPolicy:
    """The site's rules for turning principals into local users."""

    allowed_realms: frozenset[str]
    min_uid: int
    principal_map: Mapping[str, str]
    max_uid: int = DEFAULT_MAX_UID


def _refuse(principal: str, why: str) -> HpcapiError:
    return HpcapiError(ErrorCode.PRINCIPAL_NOT_ALLOWED, f"principal {principal!r} {why}")


def map_principal(raw: str | None, policy: IdentityPolicy) -> tuple[str, str]:
    """Check a principal against the policy and return ``(principal, local user name)``."""
    if raw is None or not raw.strip():
        raise HpcapiError(ErrorCode.UNAUTHENTICATED, "no authenticated principal")
    principal = raw.strip()
    match = _PRINCIPAL_RE.fullmatch(principal)
    if match is None:
        # Also what a forged, repeated or comma-joined header looks like.
        raise _refuse(principal, "is not one well-formed Kerberos principal")
    if match["realm"] not in policy.allowed_realms:
        raise _refuse(principal, f"is from realm {match['realm']}, which is not allowed")
    mapped = policy.principal_map.get(principal)
    if mapped is not None:
        return principal, mapped
    if match["instance"] is not None:
        raise _refuse(principal, "is an instance principal and is not mapped explicitly")
    user = match["primary"]
    if not LOCAL_USER_RE.fullmatch(user):
        raise _refuse(principal, "does not name a valid local user")
    return principal, user


def lookup_local_user(
    principal: str,
    user: str,
    min_uid: int,
    getpwnam: Callable[[str], Any] = pwd.getpwnam,
    max_uid: int = DEFAULT_MAX_UID,
) -> Identity:
    """Find the local account for a mapped principal; refuse root and system accounts."""
    try:
        entry = getpwnam(user)
    except KeyError as err:
        raise _refuse(principal, f"maps to {user!r}, which is not a local user") from err
    if entry.pw_uid == 0 or not min_uid <= entry.pw_uid <= max_uid:
        raise _refuse(principal, f"maps to {user!r}, a system account")
    return Identity(
        principal=principal,
        local_user=user,
        uid=entry.pw_uid,
        gid=entry.pw_gid,
        home=entry.pw_dir,
        shell=entry.pw_shell or "/bin/sh",
    )


class IdentityResolver:
    """Resolves principals to identities, caching account look-ups for a short while."""

    def __init__(
        self,
        policy: IdentityPolicy,
        ttl_seconds: float = 60.0,
        getpwnam: Callable[[str], Any] = pwd.getpwnam,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = policy
        self._ttl = ttl_seconds
        self._getpwnam = getpwnam
        self._clock = clock
        self._cache: dict[str, tuple[float, Identity]] = {}
        self._lock = threading.Lock()

    def resolve(self, raw: str | None) -> Identity:
        """Return the caller's identity, or raise a named 401/403 error."""
        principal, user = map_principal(raw, self._policy)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(principal)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        # Not cached: a passwd/NSS look-up. Refusals are not cached, so a new account works
        # as soon as it exists.
        identity = lookup_local_user(
            principal, user, self._policy.min_uid, self._getpwnam, self._policy.max_uid
        )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[principal] = (now, identity)
        return identity
