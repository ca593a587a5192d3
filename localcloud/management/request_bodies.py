"""Request bodies as ARM reads them: at most 4 MiB, JSON nested at most 64 deep.

ARM refuses a request over 4,194,304 bytes ("Azure Resource Manager API request size" in
https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-resource-manager-limits)
with 413 ``RequestContentTooLarge``, "The request content size exceeds the maximum size of
4 MB." (as reported from Azure in Azure/azure-api-management-devops-resource-kit#594).
ARM deserializes with Json.NET, whose reader stops at 64 levels of nesting; anything that
does not deserialize is 400 ``InvalidRequestContent``.
"""

from __future__ import annotations

import json

from starlette.requests import Request

from .errors import InvalidRequestContent, RequestContentTooLarge

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
# A refused body is still read (and dropped) up to this size, so the client that is
# still sending gets the 413 instead of a reset connection.
DRAIN_BYTES = 256 * 1024 * 1024


def declared_too_large(request: Request) -> bool:
    """True if the Content-Length header already says the body is over the limit."""
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > MAX_BYTES


async def drain(request: Request) -> None:
    """Read what the client still sends (bounded), keeping none of it."""
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > DRAIN_BYTES:
            return


async def read(request: Request) -> bytes:
    """The body, or 413 as soon as it passes :data:`MAX_BYTES` (the rest is drained)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            await drain(request)
            raise RequestContentTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def nesting_depth(value: object, stop_after: int = MAX_DEPTH) -> int:
    """How deep objects and arrays nest in ``value`` (a scalar is 0); counting stops just
    past ``stop_after``. Iterative, so no depth can exhaust Python's stack."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > stop_after:
            break
        pending.extend((child, level + 1) for child in children)
    return deepest


def parse_object(raw: bytes) -> dict:
    """The JSON object in ``raw``, or ARM's InvalidRequestContent saying what is wrong."""
    if not raw.strip():
        raise InvalidRequestContent("the request has no body; send a JSON object.")
    too_deep = InvalidRequestContent(f"the JSON is nested deeper than {MAX_DEPTH} levels.")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:
        raise InvalidRequestContent(f"{exc}.") from None
    if not isinstance(data, dict):
        raise InvalidRequestContent("expected a JSON object.")
    if nesting_depth(data) > MAX_DEPTH:
        raise too_deep
    return data
