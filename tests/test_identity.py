"""Tests for hpcapi.identity: Kerberos principals to local accounts, by allow-list only."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import REALM, FakePasswd, default_passwd, passwd_entry
from hypothesis import given
from hypothesis import strategies as st

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.identity import (
    IdentityPolicy,
    IdentityResolver,
    lookup_local_user,
    map_principal,
)
from hpcapi.model import Identity

POLICY = IdentityPolicy(
    allowed_realms=frozenset({REALM}),
    min_uid=1000,
    principal_map={f"svc-pipeline@{REALM}": "pipeline"},
)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def refusal(raw: str | None, policy: IdentityPolicy = POLICY) -> HpcapiError:
    """The error map_principal raises for ``raw``."""
    with pytest.raises(HpcapiError) as caught:
        map_principal(raw, policy)
    return caught.value


def resolver(
    passwd: FakePasswd | None = None, policy: IdentityPolicy = POLICY, **kwargs: object
) -> IdentityResolver:
    return IdentityResolver(policy, getpwnam=passwd or default_passwd(), **kwargs)  # type: ignore[arg-type]


# --- map_principal ------------------------------------------------------------------------------


def test_plain_principal_maps_to_its_primary() -> None:
    assert map_principal(f"alice@{REALM}", POLICY) == (f"alice@{REALM}", "alice")


def test_surrounding_whitespace_is_trimmed() -> None:
    assert map_principal(f"  bob@{REALM}\t", POLICY) == (f"bob@{REALM}", "bob")


def test_service_principal_maps_through_the_principal_map() -> None:
    assert map_principal(f"svc-pipeline@{REALM}", POLICY) == (f"svc-pipeline@{REALM}", "pipeline")


def test_instance_principal_is_refused_unless_mapped() -> None:
    error = refusal(f"alice/admin@{REALM}")
    assert error.code is ErrorCode.PRINCIPAL_NOT_ALLOWED
    assert error.code.http_status == 403
    assert "instance principal" in error.message


def test_instance_principal_mapped_explicitly_is_allowed() -> None:
    policy = IdentityPolicy(frozenset({REALM}), 1000, {f"alice/admin@{REALM}": "alice"})
    assert map_principal(f"alice/admin@{REALM}", policy) == (f"alice/admin@{REALM}", "alice")


def test_mapping_is_by_exact_principal_only() -> None:
    # The map names svc-pipeline@REALM; an instance of it is not covered.
    assert refusal(f"svc-pipeline/host@{REALM}").code is ErrorCode.PRINCIPAL_NOT_ALLOWED


@pytest.mark.parametrize(
    "principal",
    ["alice@EVIL.TEST", "alice@hpcapi.test", "alice@HPCAPI.TEST.EVIL", "alice@TEST"],
)
def test_foreign_realm_is_refused(principal: str) -> None:
    error = refusal(principal)
    assert error.code is ErrorCode.PRINCIPAL_NOT_ALLOWED
    assert "not allowed" in error.message


def test_mapped_principal_of_a_foreign_realm_is_still_refused() -> None:
    # The realm check comes before the map, whatever the map says.
    policy = IdentityPolicy(frozenset({REALM}), 1000, {"svc@EVIL.TEST": "pipeline"})
    assert refusal("svc@EVIL.TEST", policy).code is ErrorCode.PRINCIPAL_NOT_ALLOWED


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_missing_or_empty_principal_is_unauthenticated(raw: str | None) -> None:
    error = refusal(raw)
    assert error.code is ErrorCode.UNAUTHENTICATED
    assert error.code.http_status == 401


@pytest.mark.parametrize(
    "raw",
    [
        "alice",
        "@HPCAPI.TEST",
        "alice@",
        "a@b@HPCAPI.TEST",
        "(null)",
        "alice@HPCAPI.TEST, bob@HPCAPI.TEST",
        "alice@HPCAPI.TEST,bob@HPCAPI.TEST",
        "alice@HPCAPI.TEST,",
        "al ice@HPCAPI.TEST",
        "alice@HPCAPI .TEST",
        "alice\t@HPCAPI.TEST",
        "alice\x00@HPCAPI.TEST",
        "alice\x1b[0m@HPCAPI.TEST",
        "alice\x7f@HPCAPI.TEST",
        "alice@HPCAPI.TEST\r\nX-Injected: 1",
        "alice/admin/extra@HPCAPI.TEST",
        "alice/@HPCAPI.TEST",
        "/admin@HPCAPI.TEST",
        "alice@-HPCAPI.TEST",
        "alice@HPCAPI_TEST",
    ],
)
def test_malformed_principal_is_refused(raw: str) -> None:
    error = refusal(raw)
    assert error.code is ErrorCode.PRINCIPAL_NOT_ALLOWED
    assert error.code.http_status == 403


@pytest.mark.parametrize(
    "principal",
    [
        "Alice@HPCAPI.TEST",
        "ALICE@HPCAPI.TEST",
        "1alice@HPCAPI.TEST",
        "-alice@HPCAPI.TEST",
        "al.ice@HPCAPI.TEST",
        "alice$@HPCAPI.TEST",
        "..@HPCAPI.TEST",
        "alicé@HPCAPI.TEST",
        "a" * 33 + "@HPCAPI.TEST",
    ],
)
def test_primary_that_is_not_a_valid_local_user_name_is_refused(principal: str) -> None:
    error = refusal(principal)
    assert error.code is ErrorCode.PRINCIPAL_NOT_ALLOWED
    assert "valid local user" in error.message


def test_longest_valid_user_name_is_accepted() -> None:
    name = "a" * 32
    assert map_principal(f"{name}@{REALM}", POLICY) == (f"{name}@{REALM}", name)


def test_refusal_message_names_the_principal() -> None:
    assert "'mallory@EVIL.TEST'" in refusal("mallory@EVIL.TEST").message


@given(st.text(min_size=1, max_size=40))
def test_anything_accepted_is_a_plain_user_of_an_allowed_realm(raw: str) -> None:
    try:
        principal, user = map_principal(raw, POLICY)
    except HpcapiError as exc:
        assert exc.code in (ErrorCode.PRINCIPAL_NOT_ALLOWED, ErrorCode.UNAUTHENTICATED)
        return
    assert principal == raw.strip()
    assert principal == f"{user}@{REALM}" or POLICY.principal_map.get(principal) == user


@given(st.from_regex(r"[a-z_][a-z0-9_-]{0,31}", fullmatch=True))
def test_every_valid_user_name_maps_to_itself(user: str) -> None:
    assert map_principal(f"{user}@{REALM}", POLICY) == (f"{user}@{REALM}", user)


# --- lookup_local_user --------------------------------------------------------------------------


def test_lookup_builds_the_identity_from_passwd() -> None:
    identity = lookup_local_user(f"alice@{REALM}", "alice", 1000, getpwnam=default_passwd())
    assert isinstance(identity, Identity)
    assert dataclasses.asdict(identity) == {
        "principal": f"alice@{REALM}",
        "local_user": "alice",
        "uid": 1001,
        "gid": 1001,
        "home": "/home/alice",
        "shell": "/bin/bash",
    }


def test_lookup_defaults_an_empty_shell() -> None:
    entry = passwd_entry("carol", 1003)
    fake = FakePasswd({"carol": type(entry)((*entry[:6], ""))})
    assert lookup_local_user("carol@R", "carol", 1000, getpwnam=fake).shell == "/bin/sh"


def test_lookup_of_unknown_user_is_refused() -> None:
    with pytest.raises(HpcapiError) as caught:
        lookup_local_user(f"ghost@{REALM}", "ghost", 1000, getpwnam=default_passwd())
    assert caught.value.code is ErrorCode.PRINCIPAL_NOT_ALLOWED
    assert "not a local user" in caught.value.message


@pytest.mark.parametrize(("user", "min_uid"), [("root", 1000), ("root", 1), ("daemon", 1000),
                                               ("lowuser", 1000), ("alice", 1002)])
def test_lookup_refuses_root_and_system_accounts(user: str, min_uid: int) -> None:
    with pytest.raises(HpcapiError) as caught:
        lookup_local_user(f"{user}@{REALM}", user, min_uid, getpwnam=default_passwd())
    assert caught.value.code is ErrorCode.PRINCIPAL_NOT_ALLOWED
    assert "system account" in caught.value.message


def test_lookup_accepts_uid_equal_to_min_uid() -> None:
    identity = lookup_local_user(f"alice@{REALM}", "alice", 1001, getpwnam=default_passwd())
    assert identity.uid == 1001


# --- IdentityResolver ---------------------------------------------------------------------------


def test_resolver_resolves_alice() -> None:
    identity = resolver().resolve(f"alice@{REALM}")
    assert identity.principal == f"alice@{REALM}"
    assert (identity.local_user, identity.uid) == ("alice", 1001)


def test_resolver_resolves_mapped_service_principal() -> None:
    identity = resolver().resolve(f"svc-pipeline@{REALM}")
    assert identity.local_user == "pipeline"
    assert identity.uid == 1500
    assert identity.home == "/srv/pipeline"


@pytest.mark.parametrize("raw", [f"root@{REALM}", f"daemon@{REALM}", f"lowuser@{REALM}"])
def test_resolver_refuses_root_and_low_uids_named_directly(raw: str) -> None:
    with pytest.raises(HpcapiError) as caught:
        resolver().resolve(raw)
    assert caught.value.code is ErrorCode.PRINCIPAL_NOT_ALLOWED


def test_resolver_refuses_a_map_entry_to_root() -> None:
    # A principal map pointing at root (which config start-up would refuse) still fails here.
    policy = IdentityPolicy(frozenset({REALM}), 1000, {f"ops@{REALM}": "root"})
    with pytest.raises(HpcapiError) as caught:
        resolver(policy=policy).resolve(f"ops@{REALM}")
    assert caught.value.code is ErrorCode.PRINCIPAL_NOT_ALLOWED


def test_resolver_refuses_unknown_local_user() -> None:
    with pytest.raises(HpcapiError) as caught:
        resolver().resolve(f"mallory@{REALM}")
    assert caught.value.code is ErrorCode.PRINCIPAL_NOT_ALLOWED


def test_resolver_does_not_look_up_users_it_refuses_by_name() -> None:
    passwd = default_passwd()
    for raw in (f"alice/admin@{REALM}", "alice@EVIL.TEST", "Alice@HPCAPI.TEST", None):
        with pytest.raises(HpcapiError):
            resolver(passwd).resolve(raw)
    assert passwd.lookups == []


def test_resolver_caches_within_ttl_and_looks_up_again_after() -> None:
    passwd = default_passwd()
    clock = FakeClock()
    cached = resolver(passwd, ttl_seconds=60.0, clock=clock)
    first = cached.resolve(f"alice@{REALM}")
    assert passwd.lookups == ["alice"]
    clock.now += 59.9
    assert cached.resolve(f"alice@{REALM}") is first
    assert passwd.lookups == ["alice"]
    clock.now += 0.1  # 60 s after the look-up: stale
    passwd.entries["alice"] = passwd_entry("alice", 1001, "/home2/alice")
    assert cached.resolve(f"alice@{REALM}").home == "/home2/alice"
    assert passwd.lookups == ["alice", "alice"]


def test_resolver_caches_per_principal() -> None:
    passwd = default_passwd()
    cached = resolver(passwd, clock=FakeClock())
    cached.resolve(f"alice@{REALM}")
    cached.resolve(f"bob@{REALM}")
    cached.resolve(f"alice@{REALM}")
    assert passwd.lookups == ["alice", "bob"]


def test_resolver_does_not_cache_refusals() -> None:
    # A new account works as soon as it exists.
    passwd = default_passwd()
    clock = FakeClock()
    cached = resolver(passwd, clock=clock)
    with pytest.raises(HpcapiError):
        cached.resolve(f"carol@{REALM}")
    passwd.entries["carol"] = passwd_entry("carol", 1003)
    assert cached.resolve(f"carol@{REALM}").uid == 1003


def test_resolver_checks_the_policy_before_the_cache() -> None:
    # A cached identity is never returned for a header that the policy refuses.
    cached = resolver(clock=FakeClock())
    cached.resolve(f"alice@{REALM}")
    with pytest.raises(HpcapiError):
        cached.resolve(f"alice@{REALM}, bob@{REALM}")
    with pytest.raises(HpcapiError) as caught:
        cached.resolve("")
    assert caught.value.code is ErrorCode.UNAUTHENTICATED
