"""GET /hpcapi/metrics: Prometheus metrics of every gunicorn worker, summed.

Requests by endpoint, method, status and reason, with latency per endpoint and those in flight;
slurmrestd calls by operation and outcome, with latency; tokens minted; kept-answer cache
look-ups. Across workers through prometheus_client's multiprocess mode: hpcapi-server points
``PROMETHEUS_MULTIPROC_DIR`` at ``[metrics] directory`` before any worker starts. No
authentication in hpcapi: Apache lets only ``HPCAPI_METRICS_FROM`` reach it.
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from hpcapi import telemetry
from hpcapi.telemetry import MULTIPROCESS_DIRECTORY_ENV
from hpcapi.web.identity import PUBLIC_PATHS

REQUESTS = Counter("hpcapi_requests", "Requests answered.",
                   ["endpoint", "method", "status", "reason"])
REQUEST_SECONDS = Histogram("hpcapi_request_duration_seconds", "Time to answer a request.",
                            ["endpoint"])
IN_FLIGHT = Gauge("hpcapi_requests_in_flight", "Requests being answered.",
                  multiprocess_mode="livesum")
SLURM_CALLS = Counter("hpcapi_slurmrestd_calls", "Calls to slurmrestd.",
                      ["operation", "outcome"])
SLURM_SECONDS = Histogram("hpcapi_slurmrestd_call_duration_seconds",
                          "Time a call to slurmrestd took.", ["operation"])
TOKENS = Counter("hpcapi_tokens_minted", "Slurm JWTs minted (reused ones are not counted).")
CACHE = Counter("hpcapi_cache_lookups", "Look-ups in kept-answer caches.", ["cache", "result"])

blueprint = Blueprint("metrics", __name__, url_prefix="/hpcapi")


class PrometheusSink:
    """hpcapi.telemetry's reports, as Prometheus metrics."""

    def slurm_call(self, operation: str, outcome: str, seconds: float) -> None:
        """Count and time one call to slurmrestd."""
        SLURM_CALLS.labels(operation, outcome).inc()
        SLURM_SECONDS.labels(operation).observe(seconds)

    def token_minted(self) -> None:
        """Count one JWT minted."""
        TOKENS.inc()

    def cache_lookup(self, cache: str, result: str) -> None:
        """Count one cache look-up."""
        CACHE.labels(cache, result).inc()


def _endpoint() -> str:
    # The route's pattern, never the path itself: one series per endpoint, however many jobs.
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _begin() -> None:
    g.metrics_started = time.perf_counter()
    IN_FLIGHT.inc()


def _end(response: Response) -> Response:
    reason = g.get("failure_code") or ("ok" if response.status_code < 400 else "-")
    REQUESTS.labels(_endpoint(), request.method, str(response.status_code), reason).inc()
    REQUEST_SECONDS.labels(_endpoint()).observe(
        time.perf_counter() - g.get("metrics_started", time.perf_counter()))
    return response


def _leave(error: BaseException | None) -> None:
    if g.pop("metrics_started", None) is not None:
        IN_FLIGHT.dec()


@blueprint.get("/metrics")
def metrics() -> Response:
    """Every worker's metrics in Prometheus's text format."""
    registry = REGISTRY
    if os.environ.get(MULTIPROCESS_DIRECTORY_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    content_type=CONTENT_TYPE_LATEST)


def register(app: Flask) -> None:
    """Count every request, and send the other layers' reports to Prometheus."""
    telemetry.install(PrometheusSink())
    app.before_request(_begin)
    app.after_request(_end)
    app.teardown_request(_leave)
    app.register_blueprint(blueprint)


PUBLIC_PATHS.add("/hpcapi/metrics")
