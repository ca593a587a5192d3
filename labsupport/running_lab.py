"""Is a JupyterLab already serving the lab's notebooks? ``make lab`` asks before it starts one.

Two Jupyter servers on the same files each autosave their own copy of an open notebook,
and the later save overwrites the other's changes. A running Jupyter server writes a
runtime file (``jpserver-<pid>.json`` in ``jupyter --runtime-dir``: its URL, token, root
folder and pid); :func:`serving` reads them with Jupyter's own ``list_running_servers``,
which skips (and removes) the file of a server whose process has ended.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse


@dataclass(frozen=True)
class RunningServer:
    """A Jupyter server whose root folder holds the notebooks."""

    url: str
    token: str
    pid: int
    port: int
    subfolder: str  # the notebooks' folder under the server's root ('' when it is the root)

    def open_url(self) -> str:
        """The address a learner opens, with the token as Jupyter prints it at start."""
        page = f"lab/tree/{self.subfolder}" if self.subfolder else "lab"
        return f"{self.url.rstrip('/')}/{page}" + (f"?token={self.token}" if self.token else "")

    def sentence(self) -> str:
        return (f"JupyterLab is already open on these notebooks (pid {self.pid}), so no second "
                f"one was started: open {self.open_url()} (to start afresh, stop it first with "
                f"Ctrl+C in its terminal or `jupyter server stop {self.port}`).")


def _answers(url: str, timeout: float = 3.0) -> bool:
    """True if something accepts connections at the URL's host and port (the pid in a
    runtime file may belong to a new process after a crash)."""
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or parts.port is None:
        return True  # a Unix socket server: the live pid is all there is to go on
    wildcard = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # a server on every address
    host = wildcard.get(parts.hostname, parts.hostname) or "127.0.0.1"
    try:
        socket.create_connection((host, parts.port), timeout=timeout).close()
    except OSError:
        return False
    return True


def serving(notebooks: Path, runtime_dir: str | None = None) -> RunningServer | None:
    """The live Jupyter server whose root is ``notebooks`` or a folder above it, if any."""
    from jupyter_server.serverapp import list_running_servers  # loads tornado: only here

    notebooks = notebooks.resolve()
    for info in list_running_servers(runtime_dir):
        root = Path(info.get("root_dir", "")).resolve()
        if not info.get("root_dir") or not notebooks.is_relative_to(root):
            continue
        if _answers(info["url"]):
            below = notebooks.relative_to(root)
            return RunningServer(url=info["url"], token=info.get("token", ""),
                                 pid=int(info["pid"]), port=int(info.get("port", 0)),
                                 subfolder="" if below == Path() else below.as_posix())
    return None
