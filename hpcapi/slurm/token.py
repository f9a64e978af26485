"""Short-lived JWTs for slurmrestd, minted for the authenticated user (impersonation).

slurmrestd's auth/jwt checks an HS256 signature made with the key in slurm.conf's
``AuthAltParameters=jwt_key=``, or an RS256 one against the public keys of ``jwks=``, chosen by
the token's ``kid`` header. Holding the signing key is equivalent to root on the cluster, so
tokens are never minted for root or any uid below ``min_uid``, and the key file must be readable
by the service's own user only.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from hpcapi import telemetry


class TokenKeyError(Exception):
    """The signing key file is missing, unreadable, too short, or readable by others."""


# The algorithms Slurm's auth/jwt verifies (src/plugins/auth/jwt/auth_jwt.c, 25.11).
JWT_ALGORITHMS = ("HS256", "RS256")
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class SigningKey:
    """What tokens are signed with: an HS256 secret, or an RS256 private key and its ``kid``."""

    algorithm: str
    key: Any  # bytes for HS256; a cryptography RSA private key for RS256
    kid: str | None = None


def read_key(path: str, algorithm: str = "HS256", kid: str = "") -> SigningKey:
    """The signing key of ``path``: HS256's secret, or for RS256 a PEM private key (``kid``
    names it) or a JWK set holding one (``kid`` picks it, else the only private key)."""
    data = read_signing_key(path, max_bytes=65536 if algorithm == "RS256" else 4096)
    if algorithm == "HS256":
        return SigningKey("HS256", data)
    if algorithm != "RS256":
        raise TokenKeyError(f"JWT algorithm {algorithm!r} is not one of {JWT_ALGORITHMS}")
    if data.lstrip().startswith(b"{"):
        private, kid = _from_jwk_set(path, data, kid)
    else:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            private = load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise TokenKeyError(f"JWT signing key {path} is not an unencrypted PEM private"
                                f" key: {exc}") from exc
        if not kid:
            raise TokenKeyError(f"JWT signing key {path}: a PEM key needs [slurmrestd] jwt_kid,"
                                " the kid of its public key in Slurm's jwks file")
    if getattr(private, "key_size", 0) < MIN_RSA_BITS:
        raise TokenKeyError(f"JWT signing key {path} is not an RSA key of at least"
                            f" {MIN_RSA_BITS} bits")
    return SigningKey("RS256", private, kid)


def _from_jwk_set(path: str, data: bytes, kid: str) -> tuple[Any, str]:
    """The private RSA key of a JWK (set) file, and its kid."""
    from jwt.algorithms import RSAAlgorithm

    try:
        document = json.loads(data)
        keys = document.get("keys", [document]) if isinstance(document, dict) else []
    except ValueError as exc:
        raise TokenKeyError(f"JWT signing key {path} is not a JWK set: {exc}") from exc
    private = [k for k in keys if isinstance(k, dict) and k.get("kty") == "RSA" and "d" in k
               and (not kid or k.get("kid") == kid)]
    if len(private) != 1 or not isinstance(private[0].get("kid"), str):
        wanted = f"with kid {kid!r}" if kid else "(set [slurmrestd] jwt_kid to choose one)"
        raise TokenKeyError(f"JWT signing key {path} holds {len(private)} private RSA keys"
                            f" {wanted}; one, with a kid, is needed")
    try:
        return RSAAlgorithm.from_jwk(json.dumps(private[0])), private[0]["kid"]
    except (ValueError, KeyError, jwt.InvalidKeyError) as exc:
        raise TokenKeyError(f"JWT signing key {path}: {exc}") from exc


def read_signing_key(path: str, max_bytes: int = 4096) -> bytes:
    """Read a key file, refusing one that group members or others could read or change."""
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
        key = os.read(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(key) > max_bytes:
        raise TokenKeyError(f"JWT signing key {path} is longer than {max_bytes} bytes")
    if len(key) < 32:
        raise TokenKeyError(f"JWT signing key {path} is shorter than 32 bytes")
    return key


class TokenMinter:
    """Mints and caches per-user slurmrestd tokens; a token is reused for most of its life."""

    def __init__(
        self,
        key: bytes | SigningKey,
        lifetime_seconds: int,
        min_uid: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 5 <= lifetime_seconds <= 60:
            raise ValueError("token lifetime must be between 5 and 60 seconds")
        self._key = key if isinstance(key, SigningKey) else SigningKey("HS256", key)
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
        signing = self._key
        token = jwt.encode(
            {"iat": now, "exp": now + self._lifetime, "sun": user}, signing.key,
            algorithm=signing.algorithm, headers={"kid": signing.kid} if signing.kid else None,
        )
        telemetry.token_minted()
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[user] = (now, token)
        return token
