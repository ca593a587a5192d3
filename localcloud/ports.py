"""Loopback ports: the local cloud's one home for its host and for probing its ports.

The caller chooses the ports (``localcloud.start``); the local cloud probes them: whether
a server of its own listens yet (:func:`port_accepts`) and, when a start fails, whether
another program took one (:func:`port_taken`). The lab's side has its own home,
``labsupport/ports.py``: the local cloud imports nothing of the lab.
"""

from __future__ import annotations

import socket

HOST = "127.0.0.1"


def port_accepts(port: int) -> bool:
    """True if something accepts connections on the port (Azurite, once it listens)."""
    try:
        socket.create_connection((HOST, port), timeout=0.2).close()
    except OSError:
        return False
    return True


def port_taken(port: int) -> bool:
    """True if a server could not listen on the port now: bound as Node and uvicorn bind
    (SO_REUSEADDR), so a connection left in TIME_WAIT does not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False
