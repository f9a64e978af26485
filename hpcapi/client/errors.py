"""The client's exceptions: one class per failure a caller handles differently."""

from __future__ import annotations

from typing import Any


class HpcapiClientError(Exception):
    """Any failure of the hpcapi client."""


class ConfigError(HpcapiClientError):
    """The client configuration or the command line is unusable."""


class CredentialsError(HpcapiClientError):
    """No usable Kerberos credential exists; nothing was sent."""


class UnreachableError(HpcapiClientError):
    """The server could not be reached, even after the allowed retries."""


class TlsError(HpcapiClientError):
    """The server's TLS certificate could not be verified against the configured CA."""


class ApiError(HpcapiClientError):
    """The server answered ``call_failure``; ``reason`` is its error code."""

    def __init__(
        self,
        reason: str,
        message: str,
        status: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.status = status
        self.body = body if body is not None else {
            "status": "call_failure",
            "reason": reason,
            "message": message,
        }


class AuthenticationError(ApiError):
    """The server did not accept who the caller is (401, or a refused principal)."""
