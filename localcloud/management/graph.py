"""Microsoft Graph as a managed identity without directory permissions sees it: 403.

The local cloud has no directory. Some Azure CLI commands look principals up in Microsoft
Graph (``az role assignment create --assignee …`` resolves the assignee; ``az role
assignment list`` and an idempotent re-run of ``create`` fill in principal names). A
managed identity on Azure has no Graph permissions unless someone grants them, and Graph
then answers 403 ``Authorization_RequestDenied``; the CLI is written for that answer: it
warns, takes a GUID assignee as an object id, and leaves ``principalName`` empty. The local
cloud gives the same answer at ``{management}/graph/`` (the ``microsoft_graph_resource_id``
the lab registers for the CLI), to a caller with a token for that audience; without one,
Graph's 401.
Error shape: https://learn.microsoft.com/graph/errors
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..cloud import Cloud
from ..tokens import TokenError

PREFIX = "/graph"


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers=headers)


def audiences(request: Request) -> tuple[str, ...]:
    """The audiences a token for this Graph carries: its URL, with or without the slash."""
    base = f"{str(request.base_url).rstrip('/')}{PREFIX}"
    return base, f"{base}/"


async def refuse(request: Request) -> JSONResponse:
    cloud: Cloud = request.app.state.cloud
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _error(401, "InvalidAuthenticationToken", "Access token is empty.",
                      {"WWW-Authenticate": 'Bearer realm=""'})
    try:
        cloud.tokens.verify(token, audiences(request))
    except TokenError as exc:
        return _error(401, "InvalidAuthenticationToken", f"Access token validation failure: "
                      f"{exc}.", {"WWW-Authenticate": 'Bearer realm=""'})
    return _error(403, "Authorization_RequestDenied",
                  "Insufficient privileges to complete the operation.")
