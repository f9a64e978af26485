"""The thin Flask layer: the app factory and one blueprint per feature."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from hpcapi.service.context import build_services


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the hpcapi WSGI app; configuration is read and checked here, once."""
    from hpcapi.web import (
        audit,
        body,
        errors,
        health,
        identity,
        jobs,
        metrics,
        nodes,
        openapi,
        partitions,
        ping,
        status,
        submit,
        whoami,
    )

    app = Flask("hpcapi")
    services = build_services(test_config or {})
    app.extensions["hpcapi"] = services
    # Bodies larger than this are refused: by Werkzeug when Content-Length says so, by
    # body.register's guard while a chunked body streams in (Apache refuses both kinds first).
    app.config["MAX_CONTENT_LENGTH"] = services.config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    errors.register(app)
    audit.register(app)
    metrics.register(app)
    identity.register(app)
    body.register(app)
    app.register_blueprint(whoami.blueprint)
    app.register_blueprint(ping.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(submit.blueprint)
    app.register_blueprint(status.blueprint)
    app.register_blueprint(jobs.blueprint)
    app.register_blueprint(partitions.blueprint)
    app.register_blueprint(nodes.blueprint)
    app.register_blueprint(openapi.blueprint)
    return app
