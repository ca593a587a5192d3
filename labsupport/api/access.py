"""Who may call the queue API: only clients that send its bearer token.

The service acts with its learner's credential (Entra ID, the learner's own account), and
it listens on the machine's loopback, which every user of the machine shares — on a
JupyterHub, every learner. So a served app refuses any request to ``/queue…`` or
``/healthz`` without ``Authorization: Bearer <token>``: 401 ``unauthorized``, with a
``WWW-Authenticate: Bearer`` challenge. The token is random, made fresh for each start of
``python -m labsupport api`` (or given to it by its starter in ``LAB_API_TOKEN``), and kept
while the service runs in ``<state folder>/secrets/queue-api-<port>.token``, mode 0600 in a
0700 folder: the learner's own programs can read it, nobody else's.

``/docs`` and ``/openapi.json`` stay open: they describe the API (the same text is in the
repository), read no queue and make no call to storage, and a browser opens ``/docs``
without a header. ``/healthz`` is not open: it calls storage for its caller and names the
queue.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
from pathlib import Path

from ..errors import ConfigError
from .errors import ApiError, _respond

TOKEN_VARIABLE = "LAB_API_TOKEN"
OPEN_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"})


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_path(state: Path, port: int) -> Path:
    """Where the service on ``port`` keeps its token, in the lab's state folder."""
    return Path(state) / "secrets" / f"queue-api-{port}.token"


def write_token(state: Path, port: int, token: str) -> Path:
    """Save ``token`` for the service on ``port``, readable by its owner only (0600)."""
    path = token_path(state, port)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    path.unlink(missing_ok=True)  # a service killed on this port left its token behind
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    return path


def remove_token(state: Path, port: int) -> None:
    with contextlib.suppress(OSError):
        token_path(state, port).unlink()


def read_token(state: Path, port: int) -> str:
    """The token of the service running on ``port`` for this lab, or a ConfigError."""
    path = token_path(state, port)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"No queue API of this lab runs on port {port} ({path} does not exist): start "
            f"it with `python -m labsupport api --port {port}`.") from None


class BearerToken:
    """ASGI middleware: requests outside :data:`OPEN_PATHS` need ``Bearer <token>``."""

    def __init__(self, app, token: str) -> None:
        if not token:
            raise ValueError("the queue API needs a non-empty access token")
        self.app, self.expected = app, token.encode()

    def allows(self, authorization: bytes) -> bool:
        scheme, _, token = authorization.partition(b" ")
        # The scheme is case-insensitive (RFC 9110, 11.1); bytes: compare_digest takes any.
        return scheme.lower() == b"bearer" and hmac.compare_digest(token, self.expected)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] not in OPEN_PATHS and not self.allows(
                dict(scope.get("headers") or ()).get(b"authorization", b"")):
            error = ApiError(401, "unauthorized", (
                "This queue API answers only its owner: send its bearer token in the "
                "Authorization header (the token is in the file "
                "secrets/queue-api-<port>.token of the lab's state folder)."))
            await _respond(error, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        await self.app(scope, receive, send)
