"""``create_app()``: the FastAPI app, with ONE async ``QueueClient`` for its whole life.

The client is created in the lifespan (so it lives on uvicorn's event loop), shared by every
request, and closed on shutdown. Building a client per request would open a new connection
pool each time.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack, asynccontextmanager

from azure.core.exceptions import ResourceExistsError, ServiceRequestError, ServiceResponseError
from azure.identity.aio import DefaultAzureCredential
from azure.storage.queue.aio import QueueClient
from fastapi import FastAPI
from pydantic import BaseModel

from . import errors
from .access import BearerToken
from .routes import build_router
from .settings import QueueClientSettings

log = logging.getLogger("labsupport.api")

MAX_BODY_BYTES = 1024 * 1024  # anything larger is refused before it is read (413)

DESCRIPTION = """\
An HTTP front end for one Azure Storage queue.

**Delivery is at least once.** Receiving a message *leases* it: it is hidden for
`visibility_timeout` seconds and comes back, with a higher `dequeue_count`, unless you delete
it with its pop receipt in time. A consumer must therefore tolerate seeing a message twice.

**Order is not guaranteed.** Messages usually come out roughly oldest first, but a message
whose lease expired reappears behind newer ones, and concurrent receivers interleave. This
is not a FIFO queue; put a sequence number in the message if order matters.

**Pop is at most once.** `GET /queue/messages/pop` deletes the message before answering: if
the answer is lost, so is the message. Use receive, process, then delete for work that
matters.

Errors always have the body `{error, detail}`: 404 `stale_pop_receipt` when a pop receipt
no longer holds its message (received again, updated, deleted or expired: Azure does not say
which), 404 `queue_not_found`, 413 for a message over 64 KiB, 422 for an invalid request
(naming the field: message ids are GUIDs, pop receipts base64, bodies UTF-8 JSON whose text
XML can carry), 503 when the storage service cannot be reached or does not answer within
seconds.
"""

TAGS = [
    {"name": "messages", "description": "Send, peek, receive, update, delete, pop, clear."},
    {"name": "queue", "description": "The queue itself."},
    {"name": "health", "description": "Readiness."},
]


async def ensure_queue(queue: QueueClient) -> None:
    """Create the queue if it is missing; start anyway if storage is unreachable (503s)."""
    try:
        await queue.create_queue(metadata={"created-by": "queue-api"})
        log.info("created queue %s", queue.queue_name)
    except ResourceExistsError:
        pass
    except (ServiceRequestError, ServiceResponseError) as exc:
        log.warning("storage unreachable at start-up (%s); requests answer 503 until it is back",
                    type(exc).__name__)


def create_app(settings: QueueClientSettings, *, message_model: type[BaseModel] | None = None,
               create_queue: bool = True, access_token: str | None = None) -> FastAPI:
    """The queue API for ``settings``; ``message_model`` types what ``POST`` accepts.

    ``access_token``: every request but the docs must send ``Authorization: Bearer`` with
    it (:mod:`.access`). ``python -m labsupport api`` always sets one, because a port is
    open to every user of the machine; None suits an app that listens on no port (FastAPI's
    ``TestClient`` in this process)."""

    if access_token is not None and not access_token:
        raise ValueError("the queue API needs a non-empty access token (or None: no port)")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with AsyncExitStack() as stack:
            credential = settings.credential
            if credential is None:  # Entra ID: the aio DefaultAzureCredential, closed at the end
                credential = await stack.enter_async_context(DefaultAzureCredential())
            queue = QueueClient(settings.account_url, settings.queue_name,
                                credential=credential, **settings.client_options())
            await stack.enter_async_context(queue)  # closes the connection pool on shutdown
            if create_queue:
                await ensure_queue(queue)
            app.state.queue = queue
            yield

    # No redirect from /queue/messages/ to /queue/messages: clients send /queue/messages/.
    # that way, and a redirected DELETE would clear the queue.
    app = FastAPI(title="Queue API", version="1.0.0", description=DESCRIPTION,
                  openapi_tags=TAGS, lifespan=lifespan, redirect_slashes=False)
    errors.install(app, MAX_BODY_BYTES)
    router = build_router(message_model)
    app.state.api_routes = router.routes  # for the Allow header of 405 and OPTIONS answers
    # Content-Length over the limit: refused by errors.BodySizeLimit; chunked bodies: here.
    app.include_router(router, max_body_size=MAX_BODY_BYTES)
    if access_token is not None:  # added last: the outermost check, before any other
        app.add_middleware(BearerToken, token=access_token)
    return app
