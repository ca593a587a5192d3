"""Serve the app with uvicorn on 127.0.0.1 (``python -m labsupport api``).

Logs go to stderr through :class:`labsupport.logsetup.RedactingFormatter`, so no key, SAS
signature or token can reach a log line. Clients must send the service's bearer token
(:mod:`.access`): the port is open to every user of the machine.
"""

from __future__ import annotations

import os
import signal

from ..errors import ConfigError
from ..ports import HOST, port_is_free  # loopback only: a lab service, not an internet-facing one
from .access import TOKEN_VARIABLE, new_token, remove_token, write_token
from .settings import default_port, default_queue_name, valid_queue_name


def log_config(level: str = "info") -> dict:
    """uvicorn's and the app's loggers, to stderr, redacted."""
    formatter = {"()": "labsupport.logsetup.RedactingFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "redacted",
               "stream": "ext://sys.stderr"}
    loggers = {name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
               for name in ("uvicorn", "uvicorn.access", "labsupport.api")}
    loggers["uvicorn.error"] = {"level": level.upper()}  # propagates to "uvicorn"
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"redacted": formatter}, "handlers": {"stderr": handler},
            "loggers": loggers}


def check_port_free(port: int) -> None:
    if not port_is_free(port):
        raise ConfigError(f"Port {port} on {HOST} is already in use: choose another with "
                          f"--port (or LAB_API_PORT).")


def serve(*, port: int | None = None, queue: str | None = None, access_log: bool = True) -> int:
    """Connect to the lab's storage account and serve the queue API until Ctrl+C."""
    import uvicorn

    from ..lab import connect
    from .app import create_app
    from .settings import QueueClientSettings

    port = default_port() if port is None else port
    queue = valid_queue_name(queue) if queue else default_queue_name()
    check_port_free(port)
    lab = connect("api", quiet=True)
    # A starter that already holds a token (start_service) hands it over; else a new one.
    token = os.environ.pop(TOKEN_VARIABLE, "") or new_token()
    state = lab.config.state_dir
    path = write_token(state, port, token)
    app = create_app(QueueClientSettings.from_lab(lab, queue), access_token=token)
    print(f"queue API for queue {queue} on http://{HOST}:{port} "
          f"(OpenAPI docs: http://{HOST}:{port}/docs) · Ctrl+C stops it\n"
          f"it answers only clients that send its bearer token, kept in {path} "
          f"(readable by you only; a new one each start)", flush=True)
    # uvicorn re-raises the SIGTERM it handled once it has stopped serving; this handler
    # turns that into a normal return, so the token file is removed below.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        uvicorn.run(app, host=HOST, port=port, log_config=log_config(), access_log=access_log)
    finally:
        remove_token(state, port)
    return 0
