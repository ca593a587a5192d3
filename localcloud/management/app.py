"""The management plane's ASGI app: health, the identity endpoint and ARM routes.

ARM routes live in :mod:`.resource_groups`, :mod:`.storage_accounts`, :mod:`.queues`,
:mod:`.queue_services`, :mod:`.role_assignments`, :mod:`.role_definitions`,
:mod:`.subscriptions` and :mod:`.monitor` (Microsoft.Insights); :mod:`.routing`
dispatches them. :mod:`.graph` stands in for Microsoft Graph (for the Azure CLI).
Every ARM path needs a bearer token for management; its claims are kept in
``request.state.claims`` (the caller's ``oid`` is recorded on role assignments).
"""

from __future__ import annotations

import logging
import uuid

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..cloud import Cloud
from ..tokens import TokenError
from . import (
    graph,
    identity,
    monitor,
    queue_services,
    queues,
    request_bodies,
    resource_groups,
    role_assignments,
    role_definitions,
    storage_accounts,
    subscriptions,
)
from .errors import (
    ArmError,
    AuthenticationFailed,
    InternalServerError,
    InvalidAuthenticationToken,
    RequestContentTooLarge,
    no_route,
)
from .routing import ArmRouter, Services
from .store import ManagementStore

log = logging.getLogger("localcloud.management")
ARM_AUDIENCES = ("https://management.azure.com/", "https://management.core.windows.net/")
CHALLENGE = 'Bearer authorization_uri="local", error="invalid_token"'
OPEN_PATHS = ("/healthz", identity.PATH)


def _is_arm(path: str) -> bool:
    """ARM paths need ARM's token and get ARM's headers; the health check, the identity
    endpoint and the Graph stand-in (:mod:`.graph`, its own audience) do not."""
    return path not in OPEN_PATHS and not path.startswith(f"{graph.PREFIX}/")


ROUTER = ArmRouter([*resource_groups.ROUTES, *storage_accounts.ROUTES, *queues.ROUTES,
                    *queue_services.ROUTES, *role_assignments.ROUTES,
                    *role_definitions.ROUTES, *subscriptions.ROUTES, *monitor.ROUTES])


async def healthz(request: Request) -> JSONResponse:
    """200 while the whole cloud works; 503 saying what is wrong if Azurite died or does
    not answer (``up()`` then replaces the cloud)."""
    cloud: Cloud = request.app.state.cloud
    problem = await run_in_threadpool(cloud.azurite_problem)
    if problem:
        return JSONResponse({"status": "azurite-down", "azurite": cloud.azurite.version,
                             "problem": problem}, status_code=503)
    return JSONResponse({"status": "ok", "azurite": cloud.azurite.version})


def _authenticate(request: Request) -> None:
    """Require a bearer token for this plane, as ARM does (401 + ARM's error body)."""
    cloud: Cloud = request.app.state.cloud
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("Authentication failed. The 'Authorization' header is missing.",
                                   {"WWW-Authenticate": CHALLENGE})
    try:
        request.state.claims = cloud.tokens.verify(token, ARM_AUDIENCES)
    except TokenError as exc:
        raise InvalidAuthenticationToken(f"The access token is invalid: {exc}.",
                                         {"WWW-Authenticate": CHALLENGE}) from None


async def arm(request: Request) -> Response:
    """Every other path: an ARM route, else a clear 404."""
    response = await ROUTER.dispatch(request, request.app.state.services)
    if response is None:
        raise no_route(request)
    return response


async def _arm_guard(request: Request, call_next) -> Response:
    """Refuse bodies over ARM's size limit, authenticate every ARM path, and render
    ArmError raised anywhere below. Anything else is a bug: logged, answered as ARM's 500."""
    try:
        if request_bodies.declared_too_large(request):
            await request_bodies.drain(request)
            raise RequestContentTooLarge()
        if _is_arm(request.url.path):
            _authenticate(request)
        response = await call_next(request)
    except ArmError as exc:
        response = exc.response(head=request.method == "HEAD")
    except Exception:
        log.exception("internal error on %s %s", request.method, request.url.path)
        response = InternalServerError(
            "The local management plane failed on this request. See its log "
            "(logs/localcloud.log in the state folder).").response()
    if _is_arm(request.url.path):
        client_request = request.headers.get("x-ms-client-request-id")
        response.headers["x-ms-request-id"] = str(uuid.uuid4())
        response.headers["x-ms-correlation-request-id"] = client_request or str(uuid.uuid4())
    return response


async def _arm_error(request: Request, exc: Exception) -> Response:
    return exc.response(head=request.method == "HEAD")  # type: ignore[attr-defined]


def create_app(cloud: Cloud, store: ManagementStore) -> Starlette:
    routes = [
        Route("/healthz", healthz),
        Route(identity.PATH, identity.token),
        Route(graph.PREFIX + "/{path:path}", graph.refuse,
              methods=["GET", "PUT", "POST", "PATCH", "DELETE"]),
        Route("/{path:path}", arm, methods=["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=_arm_guard)],
        exception_handlers={ArmError: _arm_error},
    )
    app.state.cloud = cloud
    app.state.store = store
    app.state.services = Services(cloud, store)
    return app
