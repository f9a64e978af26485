"""The single place where every failure becomes a ``call_failure`` body and an HTTP status."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g
from werkzeug.exceptions import HTTPException

from hpcapi.errors import ErrorCode, HpcapiError
from hpcapi.service.failures import slurm_failure
from hpcapi.slurm.errors import SlurmrestError
from hpcapi.web.audit import request_id
from hpcapi.web.responses import failure

log = logging.getLogger("hpcapi")

_HTTP_TO_CODE = {
    400: ErrorCode.POSTDATA_PARSE_ERROR,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    408: ErrorCode.REQUEST_TIMEOUT,
    413: ErrorCode.POSTDATA_TOO_BIG,
    414: ErrorCode.URI_TOO_LONG,
    415: ErrorCode.WRONG_CONTENT_TYPE,
    431: ErrorCode.HEADERS_TOO_LARGE,
}


def _render_hpcapi(error: HpcapiError) -> Response:
    g.failure_code = error.code.code
    return failure(error, request_id())


def _render_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_TO_CODE.get(status)
    if code is None:
        # Another refusal from Werkzeug (e.g. 431 headers too large): a client error stays one.
        log.warning("unmapped HTTP error %s: %s", status, exc.description)
        code = ErrorCode.BAD_PARAMETER if status < 500 else ErrorCode.INTERNAL_ERROR
    message = code.summary
    if code is ErrorCode.POSTDATA_TOO_BIG:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        message = f"the request body is larger than {limit} bytes"
    response = _render_hpcapi(HpcapiError(code, message))
    allowed = getattr(exc, "valid_methods", None)
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _render_backend(exc: SlurmrestError) -> Response:
    # A slurmrestd failure no use case mapped itself (ping, health, a look-up).
    return _render_hpcapi(slurm_failure(exc))


def _render_unexpected(exc: Exception) -> Response:
    log.exception("unexpected error")
    return _render_hpcapi(HpcapiError(ErrorCode.INTERNAL_ERROR))


def register(app: Flask) -> None:
    """Install the error handlers on the app."""
    app.register_error_handler(HpcapiError, _render_hpcapi)
    app.register_error_handler(HTTPException, _render_http)
    app.register_error_handler(SlurmrestError, _render_backend)
    app.register_error_handler(Exception, _render_unexpected)
