"""Tests for hpcapi.slurm.token: the signing key file and per-user slurmrestd JWTs."""

from __future__ import annotations

import os
from pathlib import Path

import jwt
import pytest

from hpcapi.slurm.token import TokenKeyError, TokenMinter, read_signing_key

KEY = bytes(range(32))


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def key_file(tmp_path: Path, mode: int, content: bytes = KEY, name: str = "jwt.key") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    os.chmod(path, mode)
    return path


def decode(token: str, key: bytes = KEY) -> dict[str, object]:
    """Verify and decode a token as slurmrestd would (HS256, expiry checked)."""
    claims: dict[str, object] = jwt.decode(
        token, key, algorithms=["HS256"], options={"verify_exp": False}
    )
    return claims


# --- read_signing_key ---------------------------------------------------------------------------


def test_key_with_mode_0600_is_read(tmp_path: Path) -> None:
    assert read_signing_key(str(key_file(tmp_path, 0o600))) == KEY


def test_key_with_mode_0400_is_read(tmp_path: Path) -> None:
    assert read_signing_key(str(key_file(tmp_path, 0o400))) == KEY


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o620, 0o602, 0o610, 0o601, 0o666])
def test_key_readable_or_writable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = key_file(tmp_path, mode)
    with pytest.raises(TokenKeyError, match=f"has mode {mode:04o}.*chmod 0600"):
        read_signing_key(str(path))


@pytest.mark.parametrize("length", [0, 1, 16, 31])
def test_short_key_is_refused(tmp_path: Path, length: int) -> None:
    path = key_file(tmp_path, 0o600, KEY[:length])
    with pytest.raises(TokenKeyError, match="shorter than 32 bytes"):
        read_signing_key(str(path))


def test_key_of_exactly_32_bytes_is_accepted(tmp_path: Path) -> None:
    assert len(read_signing_key(str(key_file(tmp_path, 0o600, b"x" * 32)))) == 32


def test_symlink_to_a_good_key_is_refused(tmp_path: Path) -> None:
    target = key_file(tmp_path, 0o600)
    link = tmp_path / "link.key"
    link.symlink_to(target)
    with pytest.raises(TokenKeyError, match="cannot open"):
        read_signing_key(str(link))


def test_missing_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenKeyError, match="cannot open JWT signing key .*missing.key"):
        read_signing_key(str(tmp_path / "missing.key"))


def test_directory_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "keydir"
    directory.mkdir(mode=0o700)
    with pytest.raises(TokenKeyError, match="not a regular file"):
        read_signing_key(str(directory))


# --- TokenMinter --------------------------------------------------------------------------------


def test_token_claims_and_signature() -> None:
    clock = FakeClock(1_700_000_000.7)
    token = TokenMinter(KEY, 60, min_uid=1000, clock=clock).token_for("alice", 1001)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = decode(token)
    assert claims == {"iat": 1_700_000_000, "exp": 1_700_000_060, "sun": "alice"}


@pytest.mark.parametrize("lifetime", [5, 30, 60])
def test_token_lifetime_is_the_configured_one(lifetime: int) -> None:
    token = TokenMinter(KEY, lifetime, min_uid=1000, clock=FakeClock()).token_for("bob", 1002)
    claims = decode(token)
    assert isinstance(claims["exp"], int) and isinstance(claims["iat"], int)
    assert claims["exp"] - claims["iat"] == lifetime <= 60


def test_token_is_valid_now_for_a_real_clock() -> None:
    # Signature and expiry both verified, as slurmrestd does.
    token = TokenMinter(KEY, 60, min_uid=1000).token_for("alice", 1001)
    assert jwt.decode(token, KEY, algorithms=["HS256"])["sun"] == "alice"


def test_token_does_not_verify_with_another_key() -> None:
    token = TokenMinter(KEY, 60, min_uid=1000, clock=FakeClock()).token_for("alice", 1001)
    with pytest.raises(jwt.InvalidSignatureError):
        decode(token, key=b"y" * 32)


def test_token_is_reused_for_two_thirds_of_its_life_then_renewed() -> None:
    clock = FakeClock(1_700_000_000.0)
    minter = TokenMinter(KEY, 60, min_uid=1000, clock=clock)
    first = minter.token_for("alice", 1001)
    clock.now += 39  # 39 s < 40 s = 2/3 of 60
    assert minter.token_for("alice", 1001) == first
    clock.now += 1  # 40 s: a third of the life is left, no more reuse
    second = minter.token_for("alice", 1001)
    assert second != first
    assert decode(second)["iat"] == 1_700_000_040
    assert decode(second)["exp"] == 1_700_000_100


def test_reused_token_always_has_a_third_of_its_life_left() -> None:
    clock = FakeClock(1_700_000_000.0)
    minter = TokenMinter(KEY, 30, min_uid=1000, clock=clock)
    for _ in range(200):
        token = minter.token_for("alice", 1001)
        assert decode(token)["exp"] - int(clock.now) >= 30 // 3  # type: ignore[operator]
        clock.now += 0.7


def test_tokens_are_per_user() -> None:
    minter = TokenMinter(KEY, 60, min_uid=1000, clock=FakeClock())
    alice = minter.token_for("alice", 1001)
    bob = minter.token_for("bob", 1002)
    assert decode(alice)["sun"] == "alice"
    assert decode(bob)["sun"] == "bob"
    assert minter.token_for("alice", 1001) == alice


@pytest.mark.parametrize(("user", "uid"), [("root", 0), ("toor", 0), ("root", 5000),
                                           ("daemon", 1), ("lowuser", 999)])
def test_no_token_for_root_or_system_accounts(user: str, uid: int) -> None:
    minter = TokenMinter(KEY, 60, min_uid=1000, clock=FakeClock())
    with pytest.raises(PermissionError, match=repr(user)):
        minter.token_for(user, uid)


def test_uid_equal_to_min_uid_gets_a_token() -> None:
    token = TokenMinter(KEY, 60, min_uid=1000, clock=FakeClock()).token_for("edge", 1000)
    assert decode(token)["sun"] == "edge"


@pytest.mark.parametrize("lifetime", [-1, 0, 4, 61, 3600])
def test_lifetime_outside_5_to_60_is_refused(lifetime: int) -> None:
    with pytest.raises(ValueError, match="between 5 and 60"):
        TokenMinter(KEY, lifetime, min_uid=1000)


# --- RS256, as Slurm's AuthAltParameters=jwks= verifies it ---------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> object:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private: object) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def jwk(private: object, kid: str) -> dict[str, object]:
    import json

    from jwt.algorithms import RSAAlgorithm

    return {**json.loads(RSAAlgorithm.to_jwk(private)), "kid": kid, "alg": "RS256"}


def rs256_claims(token: str, private: object, kid: str) -> dict[str, object]:
    """Verify as Slurm does: the header's kid picks the public key, RS256 only."""
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": kid, "typ": "JWT"}
    public = private.public_key()  # type: ignore[attr-defined]
    claims: dict[str, object] = jwt.decode(token, public, algorithms=["RS256"],
                                           options={"verify_exp": False})
    return claims


def test_an_rs256_pem_key_signs_with_its_kid(tmp_path: Path, rsa_key: object) -> None:
    from hpcapi.slurm.token import read_key

    path = key_file(tmp_path, 0o600, pem(rsa_key), "rs256.pem")
    signing = read_key(str(path), "RS256", "hpcapi-1")
    token = TokenMinter(signing, 60, min_uid=1000).token_for("alice", 1001)
    assert rs256_claims(token, rsa_key, "hpcapi-1")["sun"] == "alice"


def test_an_rs256_jwk_set_key_brings_its_own_kid(tmp_path: Path, rsa_key: object) -> None:
    import json

    from cryptography.hazmat.primitives.asymmetric import rsa

    from hpcapi.slurm.token import read_key

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_only = {k: v for k, v in jwk(other, "old").items() if k in ("kty", "n", "e", "kid")}
    path = key_file(tmp_path, 0o600, json.dumps(
        {"keys": [public_only, jwk(rsa_key, "new")]}).encode(), "jwks.json")
    signing = read_key(str(path), "RS256")
    assert signing.kid == "new"
    token = TokenMinter(signing, 60, min_uid=1000).token_for("bob", 1002)
    assert rs256_claims(token, rsa_key, "new")["sun"] == "bob"
    # Two private keys: jwt_kid picks one; without it, hpcapi will not guess.
    two = key_file(tmp_path, 0o600, json.dumps(
        {"keys": [jwk(other, "old"), jwk(rsa_key, "new")]}).encode(), "two.json")
    assert read_key(str(two), "RS256", "old").kid == "old"
    with pytest.raises(TokenKeyError, match="holds 2 private RSA keys"):
        read_key(str(two), "RS256")


def test_unusable_rs256_keys_are_refused_by_name(tmp_path: Path, rsa_key: object) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from hpcapi.slurm.token import read_key

    with pytest.raises(TokenKeyError, match="a PEM key needs"):
        read_key(str(key_file(tmp_path, 0o600, pem(rsa_key), "a.pem")), "RS256")
    with pytest.raises(TokenKeyError, match="has mode 0644"):
        read_key(str(key_file(tmp_path, 0o644, pem(rsa_key), "b.pem")), "RS256", "k")
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    with pytest.raises(TokenKeyError, match="at least 2048 bits"):
        read_key(str(key_file(tmp_path, 0o600, pem(small), "c.pem")), "RS256", "k")
    with pytest.raises(TokenKeyError, match="not an unencrypted PEM private key"):
        read_key(str(key_file(tmp_path, 0o600, b"x" * 64, "d.pem")), "RS256", "k")
    with pytest.raises(TokenKeyError, match="not a JWK set"):
        read_key(str(key_file(tmp_path, 0o600, b"{" + b"x" * 64, "e.json")), "RS256")
