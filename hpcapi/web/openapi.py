"""GET /hpcapi/openapi.json: the OpenAPI description of hpcapi, public like /hpcapi/health.

The document is the package's ``openapi.json``, read and checked to be JSON once at import, so
a broken or missing file stops start-up rather than a request.
"""

from __future__ import annotations

import json
from importlib.resources import files

from flask import Blueprint, Response

from hpcapi.web.identity import PUBLIC_PATHS


def load_document() -> bytes:
    """The packaged OpenAPI document, as bytes; raises if it is missing or not JSON."""
    raw = files("hpcapi").joinpath("openapi.json").read_bytes()
    json.loads(raw)  # refuse to serve a document no client could parse
    return raw


DOCUMENT = load_document()

blueprint = Blueprint("openapi", __name__, url_prefix="/hpcapi")


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """Answer the OpenAPI document, as packaged."""
    return Response(DOCUMENT, mimetype="application/json")


PUBLIC_PATHS.add("/hpcapi/openapi.json")
