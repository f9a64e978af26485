"""Short-lived JWTs for slurmrestd, minted for the authenticated user (impersonation).

slurmrestd's auth/jwt checks an HS256 signature made with the key in slurm.conf's
``AuthAltParameters=jwt_key=``; holding that key is equivalent to root on the cluster, so
tokens are never minted for root or any uid below ``min_uid``, and the key file must be readable
by the service's own user only.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable

import jwt

from hpcapi import telemetry


class TokenKeyError(Exception):
    """The signing key file is missing, unreadable, too short, or readable by others."""


def read_signing_key(path: str) -> bytes:
    """Read the HS256 key, refusing a file that group members or others could read or change."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise TokenKeyError(f"cannot open JWT signing key {path}: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TokenKeyError(f"JWT signing key {path} is not a regular file")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TokenKeyError(
                f"JWT signing key {path} has mode {stat.S_IMODE(info.st_mode):04o}: it must be "
                "readable by the service's user only (chmod 0600)"
            )
        key = os.read(fd, 4097)
    finally:
        os.close(fd)
    if len(key) > 4096:
        raise TokenKeyError(f"JWT signing key {path} is longer than 4096 bytes")
    if len(key) < 32:
        raise TokenKeyError(f"JWT signing key {path} is shorter than 32 bytes")
    return key


class TokenMinter:
    """Mints and caches per-user slurmrestd tokens; a token is reused for most of its life."""

    def __init__(
        self,
        key: bytes,
        lifetime_seconds: int,
        min_uid: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 5 <= lifetime_seconds <= 60:
            raise ValueError("token lifetime must be between 5 and 60 seconds")
        self._key = key
        self._lifetime = lifetime_seconds
        self._min_uid = min_uid
        self._clock = clock
        # Reuse a token while at least a third of its life is left, so slurmrestd never sees
        # one that expires in flight even with a slow backend.
        self._reuse_for = lifetime_seconds * 2 // 3
        self._cache: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()

    def token_for(self, user: str, uid: int) -> str:
        """Return a valid token for this local user, minting a new one when needed."""
        if uid == 0 or uid < self._min_uid or user == "root":
            raise PermissionError(f"refusing to mint a Slurm token for system account {user!r}")
        now = int(self._clock())
        with self._lock:
            cached = self._cache.get(user)
            if cached is not None and now - cached[0] < self._reuse_for:
                return cached[1]
        token = jwt.encode(
            {"iat": now, "exp": now + self._lifetime, "sun": user}, self._key, algorithm="HS256"
        )
        telemetry.token_minted()
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[user] = (now, token)
        return token
