"""Route the Azure SDKs' log records to a file in the state folder, redacted.

Without this, warnings the SDK logs (some with tracebacks, e.g. for a 400 with an empty
body) appear in notebooks as red noise and would make outputs nondeterministic.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .redact import redact

NOISY_LOGGERS = ("azure", "msal", "urllib3", "aiohttp", "httpx", "uvicorn")


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(log_dir: Path) -> Path:
    """Send SDK logs to ``log_dir/sdk.log`` only (idempotent; another folder replaces the
    last one's file); return the path."""
    path = log_dir / "sdk.log"
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        logger.propagate = False
        ours = [h for h in logger.handlers if getattr(h, "_lab", False)]
        for handler in list(ours):   # a lab connected to another state folder: log there
            if getattr(handler, "baseFilename", None) != os.path.abspath(path):
                logger.removeHandler(handler)
                handler.close()
                ours.remove(handler)
        if not ours:
            try:
                log_dir.mkdir(parents=True, exist_ok=True)
                handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
            except OSError:
                handler = logging.NullHandler()
            handler.setFormatter(
                RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            handler._lab = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
    return path
