"""Tests for hpcapi.client.auth and hpcapi.client.gss without a KDC: the failures named.

The system's libgssapi_krb5 is loaded for real; with no ticket cache, no keytab and no KDC,
every call fails locally, which is what these tests check. The successful exchanges (tickets,
keytabs, the server's mutual authentication) are tested end to end against the dev stack's KDC
and Apache (tests/integration).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpcapi.client import gss
from hpcapi.client.auth import NO_TICKET_MESSAGE, GssNegotiation, acquire_credentials
from hpcapi.client.errors import AuthenticationError, ConfigError, CredentialsError


@pytest.fixture(autouse=True)
def no_kerberos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No ticket cache, an empty keytab path, and a realm with no KDC anywhere."""
    conf = tmp_path / "krb5.conf"
    conf.write_text("[libdefaults]\n default_realm = NO-KDC.INVALID\n dns_lookup_kdc = false\n"
                    "[realms]\n NO-KDC.INVALID = {\n  kdc = 127.0.0.1:9\n }\n")
    monkeypatch.setenv("KRB5_CONFIG", str(conf))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{tmp_path / 'no-ccache'}")
    monkeypatch.setenv("KRB5_CLIENT_KTNAME", f"FILE:{tmp_path / 'no-keytab'}")
    yield


def test_no_ticket_is_named_before_any_request() -> None:
    with pytest.raises(CredentialsError, match=NO_TICKET_MESSAGE):
        acquire_credentials()


def test_no_ticket_for_a_named_principal() -> None:
    with pytest.raises(CredentialsError, match=NO_TICKET_MESSAGE):
        acquire_credentials("alice@NO-KDC.INVALID")


def test_a_keytab_that_is_not_there_names_principal_and_keytab(tmp_path: Path) -> None:
    keytab = tmp_path / "missing.keytab"
    with pytest.raises(CredentialsError) as caught:
        acquire_credentials("svc@NO-KDC.INVALID", str(keytab))
    assert f"for svc@NO-KDC.INVALID from keytab {keytab}" in str(caught.value)


def test_a_missing_library_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gss, "_LIBRARIES", ("libno-such-gssapi.so.9",))
    monkeypatch.setattr(gss, "_LIBRARY", None)
    with pytest.raises(ConfigError, match="libgssapi_krb5"):
        acquire_credentials()


def test_a_token_without_credentials_is_an_authentication_error() -> None:
    negotiation = GssNegotiation(None, "localhost")
    with pytest.raises(AuthenticationError, match="HTTP@localhost") as caught:
        negotiation.header()
    assert caught.value.reason == "unauthenticated"


@pytest.mark.parametrize("header", ["", "Basic realm=\"x\"", "Negotiate", "NTLM abc"])
def test_an_answer_without_a_negotiate_token_is_not_checked(header: str) -> None:
    GssNegotiation(None, "localhost").check(header)


@pytest.mark.parametrize("token", ["%%%not-base64", base64.b64encode(b"garbage").decode()])
def test_a_bad_server_token_fails_mutual_authentication(token: str) -> None:
    with pytest.raises(AuthenticationError, match="mutual authentication"):
        GssNegotiation(None, "localhost").check(f"Negotiate {token}")
