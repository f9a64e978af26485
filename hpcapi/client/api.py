"""A small Python client for hpcapi, on requests and requests-gssapi."""

from __future__ import annotations

from typing import Any

import requests


class HpcapiClientError(Exception):
    """An hpcapi call failed; ``reason`` is the API's error code when it sent one."""

    def __init__(self, message: str, reason: str | None = None, status: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.status = status


def _credentials(principal: str | None, keytab: str | None) -> Any:
    import gssapi

    if keytab:
        if not principal:
            raise HpcapiClientError("--keytab needs --principal")
        name = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
        # A MEMORY ccache: the keytab is used directly, nothing is written and no kinit is needed.
        store: dict[bytes | str, bytes | str] = {
            "client_keytab": keytab,
            "ccache": "MEMORY:hpcapi-client",
        }
        return gssapi.Credentials(name=name, usage="initiate", store=store)
    if principal:
        wanted = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
        return gssapi.Credentials(name=wanted, usage="initiate")
    return gssapi.Credentials(usage="initiate")


class HpcapiClient:
    """Calls one hpcapi server as the holder of a Kerberos ticket or keytab."""

    def __init__(
        self,
        url: str,
        principal: str | None = None,
        keytab: str | None = None,
        ca_bundle: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        from requests_gssapi import OPTIONAL, HTTPSPNEGOAuth

        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if ca_bundle:
            self.session.verify = ca_bundle
        # Opportunistic: the token goes with the first request, so a POST is sent once.
        self.session.auth = HTTPSPNEGOAuth(
            creds=_credentials(principal, keytab),
            opportunistic_auth=True,
            mutual_authentication=OPTIONAL,
        )

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """Send one request and return the decoded ``call_success`` body."""
        response = self.session.request(
            method, f"{self.url}/{path.lstrip('/')}", timeout=self.timeout, **kwargs
        )
        try:
            body = response.json()
        except ValueError:
            raise HpcapiClientError(
                f"HTTP {response.status_code} without a JSON body", status=response.status_code
            ) from None
        if not isinstance(body, dict) or body.get("status") != "call_success":
            reason = body.get("reason") if isinstance(body, dict) else None
            message = body.get("message") if isinstance(body, dict) else None
            raise HpcapiClientError(
                f"{reason}: {message}", reason=reason, status=response.status_code
            )
        return body

    def whoami(self) -> dict[str, Any]:
        """Who the server thinks the caller is."""
        return self.call("GET", "whoami")

    def ping(self) -> dict[str, Any]:
        """Check that the server reaches Slurm with the caller's identity."""
        return self.call("GET", "ping")
