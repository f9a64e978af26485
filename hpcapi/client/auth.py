"""Kerberos credentials for the client: the user's ticket cache, or a keytab without kinit."""

from __future__ import annotations

import uuid
from typing import Any

from hpcapi.client.errors import ConfigError, CredentialsError

NO_TICKET_MESSAGE = "no valid Kerberos ticket: run kinit, or pass --keytab"


def acquire_credentials(principal: str | None = None, keytab: str | None = None) -> Any:
    """Return usable initiator credentials, or raise ``CredentialsError`` before any request."""
    try:
        import gssapi
    except ImportError as err:
        raise ConfigError(
            "the hpcapi client needs gssapi and requests-gssapi: pip install 'hpcapi[client]'"
        ) from err
    try:
        if keytab:
            name = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
            # A private MEMORY ccache: the TGT comes straight from the keytab, nothing is
            # written to disk, and no kinit (or KRB5CCNAME juggling) is needed.
            store: dict[bytes | str, bytes | str] = {
                "client_keytab": keytab,
                "ccache": f"MEMORY:hpcapi-{uuid.uuid4().hex}",
            }
            creds = gssapi.Credentials(name=name, usage="initiate", store=store)
        elif principal:
            wanted = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
            creds = gssapi.Credentials(name=wanted, usage="initiate")
        else:
            creds = gssapi.Credentials(usage="initiate")
        # Reading the lifetime makes MIT krb5 look at the TGT (or fetch it from the keytab):
        # an absent or expired ticket fails here, not later as an anonymous request.
        lifetime = creds.lifetime
    except gssapi.exceptions.GSSError as exc:
        if keytab:
            raise CredentialsError(
                f"cannot get a Kerberos ticket for {principal} from keytab {keytab}: "
                f"{_gss_message(exc)}"
            ) from exc
        raise CredentialsError(NO_TICKET_MESSAGE) from exc
    # None means an indefinite lifetime; 0 means expired.
    if lifetime is not None and lifetime <= 0:
        raise CredentialsError(NO_TICKET_MESSAGE)
    return creds


def _gss_message(exc: Exception) -> str:
    gen = getattr(exc, "gen_message", None)
    text = gen() if callable(gen) else str(exc)
    # The minor status carries the useful part ("Cannot find KDC for realm ...").
    return str(text).rsplit("Minor", 1)[-1].split("):", 1)[-1].strip() or str(text)
