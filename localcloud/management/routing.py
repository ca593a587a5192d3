"""ARM-style routing: case-insensitive path templates, api-version checks, one call object.

ARM matches ``resourcegroups`` and ``resourceGroups`` alike and decodes each path segment
on its own (so a name with ``%2F`` is one segment); Starlette's router does neither,
so the management plane routes ARM paths here.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..cloud import Cloud
from . import request_bodies
from .errors import (
    InvalidApiVersionParameter,
    MethodNotAllowed,
    MissingApiVersionParameter,
    NoRegisteredProviderFound,
)
from .naming import check_subscription
from .operations import Operations
from .store import ManagementStore

Handler = Callable[["Call"], Awaitable[Response]]


@dataclass(frozen=True)
class Provider:
    """A resource provider's name and the api-versions the local plane accepts for it."""

    namespace: str
    api_versions: tuple[str, ...]

    def check(self, call: Call, resource_type: str) -> str:
        version = call.request.query_params.get("api-version")
        if not version:
            raise MissingApiVersionParameter(
                "The api-version query parameter (?api-version=) is required for "
                "all requests.")
        if version in self.api_versions:
            return version
        listed = ", ".join(self.api_versions)
        if self.namespace == "Microsoft.Resources":
            raise InvalidApiVersionParameter(
                f"The api-version '{version}' is invalid. The supported versions "
                f"are '{listed}'.")
        raise NoRegisteredProviderFound(
            f"No registered resource provider found for location "
            f"'{call.location_hint()}' and API version '{version}' for type "
            f"'{resource_type}'. The supported api-versions are '{listed}'. The "
            f"local cloud serves any location.")


@dataclass(frozen=True)
class ArmRoute:
    """A path template; a ``scoped`` route's template is a suffix, and the segments before
    it are the ``scope`` parameter (``/subscriptions/…``, or ``""`` for the tenant root)."""

    method: str
    template: tuple[str, ...]
    handler: Handler
    provider: Provider
    resource_type: str
    scoped: bool = False

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if not self.scoped:
            return _match(self.template, segments)
        cut = len(segments) - len(self.template)
        head = segments[:cut]
        if cut < 0 or any(not s or "/" in s for s in head):
            return None
        params = _match(self.template, segments[cut:])
        if params is None:
            return None
        params["scope"] = "".join(f"/{s}" for s in head)
        if len(head) >= 2 and head[0].lower() == "subscriptions":
            params["subscription"] = head[1]
        return params


def _match(template: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    if len(segments) != len(template):
        return None
    params = {}
    for pattern, segment in zip(template, segments, strict=True):
        if pattern.startswith("{"):
            if not segment:
                return None
            params[pattern[1:-1]] = segment
        elif pattern != segment.lower():
            return None
    return params


def route(method: str, template: str, handler: Handler, provider: Provider,
          resource_type: str, scoped: bool = False) -> ArmRoute:
    """``template`` like ``/subscriptions/{sub}/resourcegroups/{group}`` (literals any case);
    with ``scoped``, a suffix such as ``/providers/Microsoft.Authorization/roleAssignments``."""
    parts = tuple(p if p.startswith("{") else p.lower() for p in template.strip("/").split("/"))
    return ArmRoute(method, parts, handler, provider, resource_type, scoped)


@dataclass
class Services:
    """What handlers share: the cloud, the store, running operations, the account sync."""

    cloud: Cloud
    store: ManagementStore
    operations: Operations = field(default_factory=Operations)
    account_sync: threading.Lock = field(default_factory=threading.Lock)
    _locks: weakref.WeakValueDictionary = field(default_factory=weakref.WeakValueDictionary)

    def lock(self, resource_id: str) -> asyncio.Lock:
        """One lock per resource id (any casing): changes to a resource take turns, so
        parallel deletes of one account delete it once and then find nothing."""
        key = resource_id.lower()
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def sync_accounts(self) -> None:
        """Make Azurite serve exactly the stored accounts (blocking: call in a thread).

        The snapshot is taken under the lock, so the last caller applies the latest set.
        """
        with self.account_sync:
            self.cloud.apply_accounts(self.store.azurite_accounts())


@dataclass
class Call:
    """One ARM request: the Starlette request, path parameters and shared services."""

    request: Request
    params: dict[str, str]
    services: Services
    route: ArmRoute | None = None
    api_version: str = ""
    _raw: bytes | None = field(default=None, repr=False)

    @property
    def cloud(self) -> Cloud:
        return self.services.cloud

    @property
    def store(self) -> ManagementStore:
        return self.services.store

    @property
    def subscription(self) -> str:
        return self.params["subscription"].lower()

    async def raw_body(self) -> bytes:
        """The bytes sent (read once), or ARM's 413 past 4 MiB."""
        if self._raw is None:
            self._raw = await request_bodies.read(self.request)
        return self._raw

    async def body(self) -> dict:
        """The JSON object sent, or ARM's InvalidRequestContent (see :mod:`.request_bodies`)."""
        return request_bodies.parse_object(await self.raw_body())

    async def optional_body(self) -> dict:
        """Like :meth:`body`, but no body at all is an empty object."""
        raw = await self.raw_body()
        return request_bodies.parse_object(raw) if raw.strip() else {}

    @property
    def raw_path(self) -> str:
        """This request's path as sent (still percent-encoded)."""
        return raw_path(self.request)

    def url(self, path: str, **query: str) -> str:
        """An absolute URL on this management plane (for Location headers and nextLink);
        ``path`` must already be percent-encoded."""
        base = str(self.request.base_url).rstrip("/")
        return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")

    def location_hint(self) -> str:
        """The region ARM would name in an error: the account's, else its group's."""
        subscription = self.params.get("subscription", "").lower()
        if "account" in self.params:
            found = self.store.find_account(self.params["account"])
            if found:
                return found[1].location
        if "group" in self.params:
            group = self.store.resource_group(subscription, self.params["group"])
            if group:
                return group.location
        return "global"


def raw_path(request: Request) -> str:
    """The path as sent, percent-encoded, so ``%2F`` inside a name stays inside it."""
    raw = request.scope.get("raw_path") or quote(request.scope["path"]).encode()
    return raw.decode("utf-8", "replace").split("?", 1)[0]


class ArmRouter:
    """Finds the route for a request, checks subscription and api-version, runs it."""

    def __init__(self, routes: list[ArmRoute]):
        self.routes = routes

    @staticmethod
    def segments(request: Request) -> list[str]:
        path = raw_path(request).strip("/")
        return [unquote(part) for part in path.split("/")] if path else []

    def resolve(self, request: Request) -> tuple[ArmRoute, dict[str, str]] | None:
        """The route and its parameters, or None; ArmError 405 if only the method is wrong."""
        segments = self.segments(request)
        method = "GET" if request.method == "HEAD" and not self._has_head(segments) \
            else request.method
        allowed = []
        for candidate in self.routes:
            params = candidate.match(segments)
            if params is None:
                continue
            if candidate.method == method:
                return candidate, params
            allowed.append(candidate.method)
        if allowed:
            raise MethodNotAllowed(
                f"The local management plane does not support {request.method} on "
                f"{request.url.path}; it supports {', '.join(sorted(set(allowed)))}.",
                {"Allow": ", ".join(sorted(set(allowed)))})
        return None

    def _has_head(self, segments: list[str]) -> bool:
        return any(r.method == "HEAD" and r.match(segments) is not None for r in self.routes)

    async def dispatch(self, request: Request, services: Services) -> Response | None:
        found = self.resolve(request)
        if found is None:
            return None
        arm_route, params = found
        call = Call(request, params, services, arm_route)
        if "subscription" in params:
            check_subscription(params["subscription"])
        call.api_version = arm_route.provider.check(call, arm_route.resource_type)
        return await arm_route.handler(call)
