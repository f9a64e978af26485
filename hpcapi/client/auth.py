"""Kerberos for the client: credentials (ticket cache, or a keytab without kinit), and SPNEGO."""

from __future__ import annotations

import base64
import binascii
import re
import uuid

from hpcapi.client.errors import AuthenticationError, ConfigError, CredentialsError
from hpcapi.client.gss import Credential, GssError, InitiatorContext, LibraryMissing
from hpcapi.client.transport import Negotiation, Negotiator

NO_TICKET_MESSAGE = "no valid Kerberos ticket: run kinit, or pass --keytab"


def acquire_credentials(principal: str | None = None, keytab: str | None = None) -> Credential:
    """Return usable initiator credentials, or raise ``CredentialsError`` before any request."""
    try:
        if keytab:
            # A private MEMORY ccache: the TGT comes straight from the keytab, nothing is
            # written to disk, and no kinit (or KRB5CCNAME juggling) is needed.
            store = {"client_keytab": keytab, "ccache": f"MEMORY:hpcapi-{uuid.uuid4().hex}"}
            creds = Credential(principal, store)
        else:
            creds = Credential(principal)
        # Reading the lifetime makes MIT krb5 look at the TGT (or fetch it from the keytab):
        # an absent or expired ticket fails here, not later as an anonymous request.
        lifetime = creds.lifetime
    except LibraryMissing as exc:
        raise ConfigError(str(exc)) from exc
    except GssError as exc:
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


def _gss_message(exc: GssError) -> str:
    # The mechanism's part is the useful one ("Cannot find KDC for realm ...").
    return str(exc).rsplit("; ", 1)[-1] or str(exc)


# The server's answer token in WWW-Authenticate, among other challenges if any.
_NEGOTIATE_RE = re.compile(r"(?:^|,)\s*Negotiate\s+([^,\s]+)", re.IGNORECASE)


class GssNegotiation:
    """One SPNEGO exchange with a host's HTTP service (HTTP@host), from ``creds``."""

    def __init__(self, creds: Credential | None, host: str) -> None:
        self._host = host
        try:
            self._context = InitiatorContext(creds, host)
        except GssError as exc:
            raise AuthenticationError("unauthenticated", str(exc)) from exc

    def header(self) -> str:
        """``Negotiate <token>`` for the request."""
        try:
            token = self._context.step()
        except GssError as exc:
            raise AuthenticationError(
                "unauthenticated", f"cannot make a Kerberos token for HTTP@{self._host}: {exc}"
            ) from exc
        return "Negotiate " + base64.b64encode(token).decode("ascii")

    def check(self, www_authenticate: str) -> None:
        """Check the server's answer token when it sent one (TLS authenticates it anyway)."""
        found = _NEGOTIATE_RE.search(www_authenticate)
        if found is None:
            return
        try:
            self._context.step(base64.b64decode(found.group(1), validate=True))
        except (GssError, binascii.Error) as exc:
            raise AuthenticationError(
                "unauthenticated", f"the server failed mutual authentication: {exc}"
            ) from exc
        if not self._context.complete:
            raise AuthenticationError(
                "unauthenticated", "the server failed mutual authentication: exchange unfinished"
            )


def negotiator(creds: Credential | None) -> Negotiator:
    """A new SPNEGO exchange per request, from ``creds`` (None: the default ticket cache)."""

    def negotiate(host: str) -> Negotiation:
        return GssNegotiation(creds, host)

    return negotiate
