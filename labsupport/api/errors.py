"""Map what can go wrong to HTTP answers a client can act on — never a bare 500.

- a pop receipt that no longer holds its message → 404 ``stale_pop_receipt``, the same on
  both backends. Microsoft's Delete Message reference documents 404 (``MessageNotFound``)
  when no message with a matching pop receipt is found — received again or updated since,
  deleted or expired — without saying which; its Queue service error codes also list 400
  ``PopReceiptMismatch`` ("the specified pop receipt did not match"), and Microsoft's own
  Functions queue listener handles both. Azurite answers 400 PopReceiptMismatch while the
  message exists and 404 MessageNotFound once it is gone. Both codes map to one answer,
  so clients never depend on which the backend chose;
- the queue does not exist (any more) → 404 ``queue_not_found``;
- message over 64 KiB, or a body over the service's own limit → 413 ``message_too_large``;
- invalid request (missing field, value out of range, malformed id, pop receipt or JSON,
  text XML cannot carry) → 422 ``validation_error``;
- storage refused the service's credentials → 502 ``storage_auth_failed``;
- storage unreachable, timing out or failing → 503 ``storage_unavailable``;
- a method a path does not have → 405 with every method it does have in ``Allow``; ``OPTIONS``
  answers 204 with that ``Allow``.

Bodies follow :class:`~labsupport.api.models.ErrorBody`. Log lines go through
:func:`labsupport.redact`, and responses carry only our sentences and the service's error
code — no request URLs, headers or keys.
"""

from __future__ import annotations

import logging

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ..errors import first_line
from ..patterns.error_codes import error_code
from ..redact import redact
from .models import ErrorBody, FieldProblem

log = logging.getLogger("labsupport.api")


class ApiError(Exception):
    """An error the routes raise on purpose, already in the service's terms."""

    def __init__(self, status: int, error: str, detail: str, service_error: str | None = None):
        super().__init__(detail)
        self.status, self.error, self.detail, self.service_error = (
            status, error, detail, service_error)

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.error, detail=self.detail, service_error=self.service_error)


_TOO_LARGE = (
    413, "message_too_large",
    "The message is larger than the 64 KiB the queue accepts. Store the payload in Blob "
    "storage and send a reference to it instead (the claim-check pattern).")

_STALE = (
    404, "stale_pop_receipt",
    "The pop receipt no longer holds this message: the message was received again or updated "
    "since (a newer pop receipt exists), or it was deleted or expired; storage does not say "
    "which. If it is still in the queue, receive it again and use the new pop receipt.")

_STORAGE = {
    "PopReceiptMismatch": _STALE,  # in Azure's error-code list; Azurite, while the message exists
    "MessageNotFound": _STALE,  # Azure's documented answer; Azurite once the message is gone
    "QueueNotFound": (
        404, "queue_not_found",
        "The queue does not exist (any more). Restart the service to create it again."),
    "RequestBodyTooLarge": _TOO_LARGE,
    "MessageTooLarge": _TOO_LARGE,
}


def from_storage(exc: Exception) -> ApiError:
    """Translate an Azure SDK exception into an :class:`ApiError`."""
    if isinstance(exc, ClientAuthenticationError):
        return ApiError(
            502, "storage_auth_failed",
            "The storage service refused this service's credentials; check its configuration.",
            error_code(exc) or None)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return ApiError(
            503, "storage_unavailable",
            "The storage service cannot be reached right now; try again shortly.")
    if isinstance(exc, HttpResponseError):
        code = error_code(exc)
        if code in _STORAGE:
            status, error, detail = _STORAGE[code]
            return ApiError(status, error, detail, code)
        if exc.status_code == 413:
            status, error, detail = _TOO_LARGE
            return ApiError(status, error, detail, code or None)
        if exc.status_code in (500, 503):
            return ApiError(
                503, "storage_unavailable",
                "The storage service is busy or failing; try again shortly.", code or None)
        return ApiError(
            502, "storage_rejected",
            f"The storage service rejected the request (HTTP {exc.status_code}).", code or None)
    return ApiError(500, "internal_error",
                    "The service failed unexpectedly; its log has the details.")


def _respond(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.body().model_dump(exclude_none=True), status_code=error.status,
                        headers=headers)


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return _respond(exc)


async def _storage_error(request: Request, exc: Exception) -> JSONResponse:
    error = from_storage(exc)
    log.warning("%s %s -> %d %s (%s)", request.method, request.url.path, error.status,
                error.error, redact(first_line(exc)))
    headers = {"Retry-After": "5"} if error.status == 503 else None
    return _respond(error, headers)


def _field_name(location: tuple | list) -> str:
    return ".".join(str(part) for part in location)


def _problem(error: dict) -> FieldProblem:
    if error.get("type") == "json_invalid":  # FastAPI: loc (body, position), our words in ctx
        return FieldProblem(field="body", problem=str(error.get("ctx", {}).get("error")))
    return FieldProblem(field=_field_name(error.get("loc", ())),
                        problem=error.get("msg", "invalid"))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [_problem(e) for e in exc.errors()]
    summary = "; ".join(f"{p.field}: {p.problem}" for p in problems)
    body = ErrorBody(error="validation_error", detail=f"Invalid request — {summary}.",
                     fields=problems)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=422)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 413:
        error = ApiError(413, "message_too_large",
                         "The request body is larger than this service accepts.")
    elif exc.status_code == 404:
        error = ApiError(404, "not_found", f"There is no route {request.url.path}.")
    elif exc.status_code == 405:
        allow = ", ".join(sorted({*allowed_methods(request), "OPTIONS"}))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        error = ApiError(405, "method_not_allowed",
                         f"{request.method} is not allowed on {request.url.path} "
                         f"(allowed: {allow}).")
        return _respond(error, {"Allow": allow})
    else:
        error = ApiError(exc.status_code, "http_error", str(exc.detail))
    return _respond(error, getattr(exc, "headers", None))


def allowed_methods(request: Request) -> list[str]:
    """Every method the routes for this path have (Starlette names only the first route's).

    A fixed path wins over a pattern: ``/queue/messages/peek`` is not a message id. The
    API's routes come from ``app.state.api_routes``: FastAPI keeps an included router's
    routes out of ``app.routes``.
    """
    candidates = [*request.app.router.routes, *getattr(request.app.state, "api_routes", ())]
    routes = [route for route in candidates if getattr(route, "methods", None)
              and route.matches(request.scope)[0] != Match.NONE]
    fixed = [route for route in routes if not route.param_convertors]
    return sorted({method for route in fixed or routes for method in route.methods})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed: %s", request.method, request.url.path,
              redact(f"{type(exc).__name__}: {exc}"))
    return _respond(from_storage(exc))


class BodySizeLimit:
    """Refuse a request whose ``Content-Length`` is over ``max_bytes`` with a JSON 413, before
    reading it. (FastAPI's own ``max_body_size`` still guards chunked bodies, in plain text.)"""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or ()).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.max_bytes:
                error = ApiError(413, "message_too_large",
                                 f"The request body is larger than this service accepts "
                                 f"({self.max_bytes} bytes); a queue message holds 64 KiB.")
                await _respond(error, {"Connection": "close"})(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install(app: FastAPI, max_body_bytes: int) -> None:
    """Register every mapping on ``app``."""
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HttpResponseError, _storage_error)
    app.add_exception_handler(ServiceRequestError, _storage_error)
    app.add_exception_handler(ServiceResponseError, _storage_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
