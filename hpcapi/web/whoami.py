"""GET /hpcapi/whoami: who hpcapi thinks you are."""

from __future__ import annotations

from flask import Blueprint, Response

from hpcapi.web.identity import caller
from hpcapi.web.responses import success

blueprint = Blueprint("whoami", __name__, url_prefix="/hpcapi")


@blueprint.get("/whoami")
def whoami() -> Response:
    """Answer the caller's principal and the local account jobs run as."""
    identity = caller()
    return success(
        "whoami_success",
        principal=identity.principal,
        local_user=identity.local_user,
        uid=identity.uid,
    )
