"""The management plane's ASGI app: health, the identity endpoint and ARM routes."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..cloud import Cloud
from ..tokens import TokenError
from . import identity
from .errors import ArmError
from .store import ManagementStore

ARM_AUDIENCES = ("https://management.azure.com/", "https://management.core.windows.net/")
OPEN_PATHS = ("/healthz", identity.PATH)


async def healthz(request: Request) -> JSONResponse:
    cloud: Cloud = request.app.state.cloud
    return JSONResponse({"status": "ok", "azurite": cloud.azurite.version})


def _authenticate(request: Request) -> None:
    """Require a bearer token for this plane, as ARM does (401 + ARM's error body)."""
    cloud: Cloud = request.app.state.cloud
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ArmError(401, "AuthenticationFailed",
                       "Authentication failed. The 'Authorization' header is missing.",
                       {"WWW-Authenticate": 'Bearer authorization_uri="local", error="invalid_token"'})
    try:
        cloud.tokens.verify(token, ARM_AUDIENCES)
    except TokenError as exc:
        raise ArmError(401, "InvalidAuthenticationToken",
                       f"The access token is invalid: {exc}.") from None


async def not_found(request: Request) -> Response:
    raise ArmError(404, "NoRegisteredProviderFound" if "/providers/" in request.url.path
                   else "NotFound",
                   f"The local management plane has no route for {request.method} "
                   f"{request.url.path}. It implements resource groups, storage accounts "
                   f"and queues (see labsupport/localcloud/management).")


async def _arm_guard(request: Request, call_next) -> Response:
    """Authenticate every ARM path and render ArmError raised anywhere below."""
    try:
        if request.url.path not in OPEN_PATHS:
            _authenticate(request)
        return await call_next(request)
    except ArmError as exc:
        return exc.response()


async def _arm_error(request: Request, exc: Exception) -> Response:
    return exc.response()  # type: ignore[attr-defined]


def create_app(cloud: Cloud, store: ManagementStore) -> Starlette:
    routes = [
        Route("/healthz", healthz),
        Route(identity.PATH, identity.token),
        Route("/{path:path}", not_found, methods=["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=_arm_guard)],
        exception_handlers={ArmError: _arm_error},
    )
    app.state.cloud = cloud
    app.state.store = store
    return app
