"""Job times as servers answer them: UTC with a "Z", or FRCE's local time with no zone.

An hpcapi server answers in one form or the other (its ``[history] time_format``), NIH FRCE's
hpcapi in the second. A time with no zone is the server's local time; the client can only take
it to be its own (client and cluster share a site's zone, as FRCE's users do).
"""

from __future__ import annotations

from datetime import UTC, datetime

_UTC_FORM = "%Y-%m-%dT%H:%M:%SZ"
_LOCAL_FORM = "%Y-%m-%dT%H:%M:%S"


def parse_time(value: str | None) -> datetime | None:
    """A job time of an answer as an aware datetime; None for null; ValueError for other forms."""
    if value is None:
        return None
    if value.endswith("Z"):
        return datetime.strptime(value, _UTC_FORM).replace(tzinfo=UTC)
    # astimezone() on a naive datetime reads it in this machine's local zone.
    return datetime.strptime(value, _LOCAL_FORM).astimezone()


def local_time_text(value: object) -> object:
    """A job time as this machine's local wall clock, ``YYYY-MM-DDTHH:MM:SS``, for tables.

    Whatever is not a time in either form (null, a form of a later server) is given back as
    it is, so that a table never fails on it."""
    if not isinstance(value, str):
        return value
    try:
        moment = parse_time(value)
    except ValueError:
        return value
    return moment.astimezone().strftime(_LOCAL_FORM) if moment is not None else value
