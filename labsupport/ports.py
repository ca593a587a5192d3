"""Free loopback ports: the lab's one home for finding and checking them.

The lab chooses the ports of what it starts (the local cloud, the queue API); the
programs themselves take the ports they are given.
"""

from __future__ import annotations

import socket

HOST = "127.0.0.1"


def port_is_free(port: int) -> bool:
    """True if a server can listen on the port. Probes as Node and uvicorn bind, with
    SO_REUSEADDR, so connections a stopped server left in TIME_WAIT do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port(avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """A port nobody listens on right now (its server binds it a moment later), not one
    of ``avoid``."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        if port not in avoid:
            return port
