"""The current app's services (built once at start-up by ``hpcapi.service.context``)."""

from __future__ import annotations

from flask import current_app

from hpcapi.service.context import Services


def services() -> Services:
    """The current app's Services."""
    found: Services = current_app.extensions["hpcapi"]
    return found
