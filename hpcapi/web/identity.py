"""Resolve the caller before every request: Apache's identity header to a local account."""

from __future__ import annotations

from flask import Flask, g, request

from hpcapi.model import Identity
from hpcapi.web.services import services

# Paths that answer without an identity (none reveal user data). By path, not endpoint, so
# that a wrong method there gets its 405 rather than a 401.
PUBLIC_PATHS: set[str] = set()


def _resolve_caller() -> None:
    g.identity = None
    if request.path in PUBLIC_PATHS:
        return
    header = services().config.identity_header
    # Apache sets this header once with `set`, after clearing any copy the client sent; a
    # repeated or comma-joined value cannot be a single principal and is refused.
    values = request.headers.getlist(header)
    raw = values[0] if len(values) == 1 else (",".join(values) if values else None)
    g.identity = services().identities.resolve(raw)
    # Before anything else of the request is done: a refused request may be sent again as is.
    services().limiter.acquire(g.identity.local_user)
    g.holds_slot = True


def _release_slot(error: BaseException | None) -> None:
    if g.pop("holds_slot", False):
        services().limiter.release(g.identity.local_user)


def caller() -> Identity:
    """The authenticated caller of the current request."""
    identity: Identity = g.identity
    return identity


def register(app: Flask) -> None:
    """Install the identity check on the app."""
    app.before_request(_resolve_caller)
    app.teardown_request(_release_slot)
