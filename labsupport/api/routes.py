"""The routes under ``/queue``, compatible with the original seed app (plus DELETE one).

Read it top to bottom: one function per route, in the order :func:`build_router` lists
them with their paths, status codes and documented errors. Each route makes one call on
the app's single async ``QueueClient`` — the :data:`Queue` dependency — and translates the
SDK's objects into the models of :mod:`.models`. Ids, pop receipts and bodies are checked
before that call (:mod:`.models`, :mod:`.bodies`). Errors are raised as they come; the
handlers in :mod:`.errors` map them to HTTP answers.

The body of a send is any JSON object, or the pydantic model an app is built with
(``create_app(settings, message_model=Order)``): FastAPI reads a route's parameter types
from its signature, so :func:`send_message_as` gives the send route a signature naming
that model. This module has no ``from __future__ import annotations``: FastAPI reads the
annotations as objects.
"""

import asyncio
import functools
import inspect
import json
from typing import Annotated, Any

from azure.core.exceptions import HttpResponseError
from azure.storage.queue.aio import QueueClient
from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from ..patterns.error_codes import error_code
from ..patterns.leases import is_stale_lease
from .bodies import StrictJsonRoute, message_text
from .errors import ApiError, from_storage
from .models import (
    MAX_BATCH,
    MAX_VISIBILITY_TIMEOUT,
    ErrorBody,
    Health,
    MessageId,
    PeekedMessage,
    PopReceipt,
    QueueSummary,
    ReceivedMessage,
    SentMessage,
    TimeToLive,
    UpdatedMessage,
    UpdateRequest,
)

POP_LEASE_SECONDS = 30
HEALTH_TIMEOUT = 1.5  # seconds /healthz waits for storage: it answers within 2 s
EXAMPLE_MESSAGE = {"order": 42, "item": "book", "quantity": 1}


# --- What the routes take ---------------------------------------------------------------------

def queue_client(request: Request) -> QueueClient:
    """The app's one QueueClient, created at start-up (see :func:`.app.create_app`)."""
    return request.app.state.queue


Queue = Annotated[QueueClient, Depends(queue_client)]
Message = Annotated[dict[str, Any], Body(examples=[EXAMPLE_MESSAGE])]
MessageIdPath = Annotated[MessageId, Path(description="The message id (a GUID).")]
VisibilityQuery = Annotated[int, Query(
    ge=0, le=MAX_VISIBILITY_TIMEOUT,
    description="Seconds before the message becomes visible to receivers (0: at once).")]


# --- Helpers ----------------------------------------------------------------------------------

def decode(text: str | None) -> Any:
    """The JSON a message holds; its raw text if someone else sent something that is not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _peeked(message) -> PeekedMessage:
    return PeekedMessage(id=message.id, content=decode(message.content),
                         dequeue_count=message.dequeue_count or 0,
                         inserted_on=message.inserted_on, expires_on=message.expires_on)


def _received(message) -> ReceivedMessage:
    return ReceivedMessage(**_peeked(message).model_dump(), pop_receipt=message.pop_receipt,
                           next_visible_on=message.next_visible_on)


async def receive_page(queue: QueueClient, count: int, visibility_timeout: int) -> list:
    """Lease up to ``count`` messages in ONE request.

    `max_messages` alone makes the SDK send one request per message; with
    `messages_per_page` equal to it, the first page holds them all, and reading only that
    page avoids the extra request that iterating would make when fewer are visible.
    """
    pages = queue.receive_messages(max_messages=count, messages_per_page=count,
                                   visibility_timeout=visibility_timeout).by_page()
    try:
        page = await pages.__anext__()
    except StopAsyncIteration:  # the service answered no message at all
        return []
    return [message async for message in page]


def _invalid(field: str, problem: str) -> RequestValidationError:
    """A 422 like FastAPI's own, for rules that involve two parameters."""
    location = tuple(field.split("."))
    return RequestValidationError([{"loc": location, "msg": problem, "type": "value_error"}])


# --- The routes -------------------------------------------------------------------------------

async def healthz(queue: Queue) -> Health:
    """Ready when the queue answers: 200, or 503 with the reason, within 2 seconds."""
    try:
        await asyncio.wait_for(queue.get_queue_properties(retry_total=0), HEALTH_TIMEOUT)
    except TimeoutError:
        raise ApiError(503, "storage_unavailable",
                       f"The storage service did not answer within {HEALTH_TIMEOUT} s; try "
                       f"again shortly.") from None
    except Exception as exc:
        error = from_storage(exc)
        raise ApiError(503, error.error, error.detail, error.service_error) from None
    return Health(status="ok", queue=queue.queue_name)


async def get_queue(queue: Queue) -> QueueSummary:
    """The queue's name, approximate message count and metadata."""
    properties = await queue.get_queue_properties()
    return QueueSummary(name=queue.queue_name,
                     approximate_message_count=properties.approximate_message_count or 0,
                     metadata=properties.metadata or {})


async def send_message(
    queue: Queue,
    message: Message,
    visibility_timeout: VisibilityQuery = 0,
    time_to_live: Annotated[TimeToLive | None, Query(
        description="Seconds the message lives: -1 (never expires) or at least 1 "
        "(default 7 days).")] = None,
) -> SentMessage:
    """Add one message: any JSON object, stored as compact JSON text (64 KiB at most).

    A `visibility_timeout` delays it: receivers see it only after that many seconds.
    """
    if time_to_live not in (None, -1) and visibility_timeout >= time_to_live:
        raise _invalid("query.visibility_timeout",
                       "must be shorter than time_to_live, or the message never shows")
    sent = await queue.send_message(
        message_text(message), visibility_timeout=visibility_timeout or None,
        time_to_live=time_to_live)
    return SentMessage(id=sent.id, inserted_on=sent.inserted_on, expires_on=sent.expires_on,
                       next_visible_on=sent.next_visible_on, pop_receipt=sent.pop_receipt)


def send_message_as(model: type[BaseModel]):
    """:func:`send_message` with a body of type ``model`` (its signature says so)."""
    signature = inspect.signature(send_message)
    typed = Annotated[model, Body(examples=[EXAMPLE_MESSAGE])]
    parameters = [p.replace(annotation=typed) if p.name == "message" else p
                  for p in signature.parameters.values()]

    @functools.wraps(send_message)
    async def send_typed_message(**arguments) -> SentMessage:
        return await send_message(**arguments)

    send_typed_message.__signature__ = signature.replace(parameters=parameters)
    return send_typed_message


async def peek_messages(
    queue: Queue,
    max_messages: Annotated[int, Query(ge=1, le=MAX_BATCH, examples=[5],
                                       description="How many to look at (1–32).")] = 1,
) -> list[PeekedMessage]:
    """Look at messages at the front of the queue without leasing them (no pop receipt,
    dequeue count unchanged, still visible to everyone)."""
    messages = await queue.peek_messages(max_messages=max_messages)
    return [_peeked(m) for m in messages]


async def receive_messages(
    queue: Queue,
    max_messages: Annotated[int, Query(ge=1, le=MAX_BATCH, examples=[1],
                                       description="Up to this many (1–32), one request.")] = 1,
    visibility_timeout: Annotated[int, Query(
        ge=1, le=MAX_VISIBILITY_TIMEOUT, examples=[30],
        description="Seconds the messages stay hidden (your lease).")] = 30,
) -> list[ReceivedMessage]:
    """Lease up to `max_messages` messages (an empty list if none is visible).

    Delivery is **at least once**: delete each message with its pop receipt once you have
    processed it, or it reappears after `visibility_timeout` with a higher dequeue count.
    Order is **not guaranteed** (roughly oldest first, but a message whose lease expired
    comes back behind newer ones).
    """
    messages = await receive_page(queue, max_messages, visibility_timeout)
    return [_received(m) for m in messages]


async def pop_message(queue: Queue):
    """Receive one message and delete it before answering: **at most once** for you.

    If this response is lost, the message is lost too. Not FIFO: which message you get
    is not guaranteed. For work that must not be lost, receive, process, then delete.
    """
    messages = await receive_page(queue, 1, POP_LEASE_SECONDS)
    if not messages:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    message = messages[0]
    try:
        await queue.delete_message(message.id, message.pop_receipt)
    except HttpResponseError as exc:
        if is_stale_lease(exc):
            raise ApiError(409, "lease_lost",
                           "The message's lease ran out before it could be deleted; another "
                           "receiver may have it. Try again.", error_code(exc)) from None
        raise
    return _received(message)


async def update_message(
    queue: Queue,
    message_id: MessageIdPath,
    update: UpdateRequest,
) -> UpdatedMessage:
    """Change a leased message's content and/or visibility. Returns a NEW pop receipt:
    use it for the next update or the delete (the old one is stale)."""
    content = (message_text(update.content, ("body", "content"))
               if update.content is not None else None)
    updated = await queue.update_message(
        message_id, update.pop_receipt, content, visibility_timeout=update.visibility_timeout)
    return UpdatedMessage(id=message_id, pop_receipt=updated.pop_receipt,
                          next_visible_on=updated.next_visible_on)


async def delete_message(
    queue: Queue,
    message_id: MessageIdPath,
    pop_receipt: Annotated[PopReceipt, Query(
        description="The pop receipt of your lease (base64), URL-encoded (a `+` sent as "
        "is arrives as a space; the service turns spaces back into `+`).")],
) -> Response:
    """Delete one message you hold: its id and the pop receipt of your current lease."""
    await queue.delete_message(message_id, pop_receipt)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def clear_messages(
    queue: Queue,
    pop_receipt: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> Response:
    """Delete every message in the queue, leased or not."""
    if pop_receipt is not None:
        # A delete whose message id was '.' or '..': HTTP clients remove such segments.
        raise _invalid("query.pop_receipt",
                       "clearing the queue takes no pop receipt: to delete one message, "
                       "DELETE /queue/messages/{message_id}?pop_receipt=... with the id "
                       "(a GUID) it was received with")
    await queue.clear_messages()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- The router ---------------------------------------------------------------------------------

ERROR_DESCRIPTIONS = {
    404: "The pop receipt no longer holds the message (stale, or the message is gone), "
         "or the queue does not exist.",
    409: "The lease ran out before the delete; another receiver may have the message.",
    413: "The message is larger than 64 KiB.",
    422: "The request is invalid; `fields` names each wrong field.",
    503: "The storage service cannot be reached.",
}


def _errors(*codes: int) -> dict[int, dict]:
    """The error answers a route documents, each with the :class:`ErrorBody` model."""
    return {code: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[code]}
            for code in codes}


def build_router(message_model: type[BaseModel] | None = None) -> APIRouter:
    """The API's routes; ``message_model`` types the body of a send (default: any object)."""
    router = APIRouter(route_class=StrictJsonRoute)
    add = router.add_api_route
    add("/healthz", healthz, methods=["GET"], tags=["health"], operation_id="healthz",
        response_model=Health,
        responses={503: {"model": ErrorBody, "description": "The queue cannot be used right now."}})
    add("/queue", get_queue, methods=["GET"], tags=["queue"], operation_id="get_queue",
        response_model=QueueSummary, responses=_errors(404, 503))
    add("/queue/messages", send_message_as(message_model) if message_model else send_message,
        methods=["POST"], tags=["messages"], operation_id="send_message",
        status_code=status.HTTP_201_CREATED, response_model=SentMessage,
        responses=_errors(404, 413, 422, 503))
    add("/queue/messages/peek", peek_messages, methods=["GET"], tags=["messages"],
        operation_id="peek_messages", response_model=list[PeekedMessage],
        responses=_errors(404, 422, 503))
    add("/queue/messages", receive_messages, methods=["GET"], tags=["messages"],
        operation_id="receive_messages", response_model=list[ReceivedMessage],
        responses=_errors(404, 422, 503))
    add("/queue/messages/pop", pop_message, methods=["GET"], tags=["messages"],
        operation_id="pop_message", response_model=ReceivedMessage,
        responses={204: {"description": "No message is visible right now."},
                   **_errors(404, 409, 503)})
    add("/queue/messages/{message_id}", update_message, methods=["PUT"], tags=["messages"],
        operation_id="update_message", response_model=UpdatedMessage,
        responses=_errors(404, 413, 422, 503))
    add("/queue/messages/{message_id}", delete_message, methods=["DELETE"], tags=["messages"],
        operation_id="delete_message", status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response, responses=_errors(404, 422, 503))
    add("/queue/messages", clear_messages, methods=["DELETE"], tags=["messages"],
        operation_id="clear_messages", status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response, responses=_errors(404, 503))
    return router
