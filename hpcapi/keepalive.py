"""What both of hpcapi's HTTP transports (to slurmrestd, and the client's to hpcapi) need to
keep connections alive safely."""

from __future__ import annotations

import select
import socket


def closed_by_peer(sock: socket.socket) -> bool:
    """Whether an idle kept-alive connection has something to read, which for HTTP means the
    server closed it (or sent stray bytes): a request must never be sent on it, since a POST
    could then be lost without a word."""
    try:
        ready, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)
