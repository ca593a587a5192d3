"""Queues through the management plane (``queueServices/default/queues``), kept in Azurite.

The queues are real: one created here is seen by the data-plane SDK, and queues created
with the data-plane SDK are listed here. Metadata round-trips both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.core.exceptions import HttpResponseError
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from . import rendering
from .arm import STORAGE
from .dataplane import AccountData
from .errors import (
    DataPlaneError,
    InvalidRequestContent,
    InvalidValuesForRequestParameters,
    QueueNotFound,
)
from .models import StorageAccount
from .naming import check_queue
from .routing import ArmRoute, Call, route
from .storage_accounts import ACCOUNT, provisioned

QUEUES = ACCOUNT + "/queueServices/default/queues"
QUEUE = QUEUES + "/{queue}"


async def _azurite(work: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking data-plane call; its storage errors become ARM errors."""
    try:
        return await run_in_threadpool(work, *args)
    except HttpResponseError as exc:
        message = (exc.message or str(exc)).splitlines()[0]
        raise DataPlaneError(exc.status_code, exc.error_code, message) from None


async def _metadata(call: Call) -> dict[str, str]:
    body = await call.optional_body()
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise InvalidRequestContent("'properties' must be an object.")
    metadata = properties.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise InvalidRequestContent("'properties.metadata' must be an object of string values.")
    return metadata


def _data(call: Call, account: StorageAccount) -> AccountData:
    return AccountData(call.cloud, account.name, account.keys["key1"])


async def create(call: Call) -> Response:
    """PUT: 200 with the queue; an existing queue gets the metadata sent.

    Like Azure, the answer holds only ``properties.metadata``: no message count (the SDK's
    recordings of Queue_Create show that; a GET returns ``approximateMessageCount``).
    """
    account = await provisioned(call)
    check_queue(call.params["queue"])
    metadata = await _metadata(call)
    info = await _azurite(_data(call, account).put_queue, call.params["queue"], metadata)
    return JSONResponse(rendering.queue(call.subscription, account, info, with_count=False))


async def update(call: Call) -> Response:
    """PATCH: sets the metadata of an existing queue."""
    account = await provisioned(call)
    check_queue(call.params["queue"])
    metadata = await _metadata(call)
    info = await _azurite(_data(call, account).set_queue_metadata, call.params["queue"],
                          metadata)
    if info is None:
        raise QueueNotFound()
    return JSONResponse(rendering.queue(call.subscription, account, info))


async def get(call: Call) -> Response:
    account = await provisioned(call)
    check_queue(call.params["queue"])
    info = await _azurite(_data(call, account).queue, call.params["queue"])
    if info is None:
        raise QueueNotFound()
    return JSONResponse(rendering.queue(call.subscription, account, info))


async def delete(call: Call) -> Response:
    """DELETE: 204, whether or not the queue existed."""
    account = await provisioned(call)
    check_queue(call.params["queue"])
    await _azurite(_data(call, account).delete_queue, call.params["queue"])
    return Response(status_code=204)


async def list_queues(call: Call) -> Response:
    """GET: ``$filter`` is a name prefix; ``$maxpagesize`` pages with a ``nextLink``."""
    account = await provisioned(call)
    query = call.request.query_params
    queues = await _azurite(_data(call, account).queues, query.get("$filter") or None)
    after = query.get("$skipToken")
    if after:
        queues = [q for q in queues if q.name > after]
    body: dict = {}
    size = query.get("$maxpagesize")
    if size:
        if not size.isdigit() or int(size) < 1:
            raise InvalidValuesForRequestParameters(f"$maxpagesize '{size}'.")
        if len(queues) > int(size):
            queues = queues[: int(size)]
            next_query = {k: v for k, v in query.items() if k != "$skipToken"}
            body["nextLink"] = call.url(call.raw_path, **next_query,
                                        **{"$skipToken": queues[-1].name})
    body["value"] = [rendering.queue(call.subscription, account, q, with_count=False)
                     for q in queues]
    return JSONResponse(body)


ROUTES: list[ArmRoute] = [
    route("GET", QUEUES, list_queues, STORAGE, "storageAccounts/queueServices/queues"),
    route("PUT", QUEUE, create, STORAGE, "storageAccounts/queueServices/queues"),
    route("PATCH", QUEUE, update, STORAGE, "storageAccounts/queueServices/queues"),
    route("GET", QUEUE, get, STORAGE, "storageAccounts/queueServices/queues"),
    route("DELETE", QUEUE, delete, STORAGE, "storageAccounts/queueServices/queues"),
]
