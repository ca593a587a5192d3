"""The service's request and response bodies (pydantic), as the OpenAPI shows them.

The request values that storage would misread are checked here, before any call:

* :data:`MessageId` — a GUID, as Azure and Azurite return them. The id becomes a segment of
  the storage URL, and HTTP clients remove ``.`` and ``..`` segments before sending: the
  SDK's ``delete_message("..", receipt)`` goes out as ``DELETE /<queue>/``, which Azurite
  treats as Clear Messages (with an Entra token or a SAS; a shared key's signature fails).
* :data:`PopReceipt` — base64 text, as both services issue them (Azure's are 28 characters,
  e.g. ``AgAAAAMAAAAAAAAAIWY/9Hl91QE=``; Azure answers ``400 InvalidQueryParameterValue``,
  "Invalid pop receipt format", for one that is not base64).
* :data:`TimeToLive` — ``-1`` (never expires) or a positive number of seconds, as Put
  Message accepts; the OpenAPI schema says the same.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_VISIBILITY_TIMEOUT = 7 * 24 * 3600  # seconds: the service's upper bound (7 days)
MAX_BATCH = 32  # messages one peek or receive request may return
MAX_TIME_TO_LIVE = 2**31 - 1  # seconds: Put Message's messagettl is a 32-bit integer
MAX_POP_RECEIPT = 256  # characters: far above the 28 that Azure and Azurite issue

_GUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _message_id(value: str) -> str:
    if not _GUID.fullmatch(value):
        raise PydanticCustomError(
            "message_id", "must be a message id as the queue returns it: a GUID such as "
            "0f8fad5b-d9cb-469f-a165-70867728950e")
    return value


def _pop_receipt(value: str) -> str:
    value = value.replace(" ", "+")  # a '+' sent in a URL without encoding arrives as a space
    if not (value and len(value) <= MAX_POP_RECEIPT and _BASE64.fullmatch(value)):
        raise PydanticCustomError(
            "pop_receipt", "must be a pop receipt as the queue returns it: base64 text such "
            "as AgAAAAMAAAAAAAAAIWY/9Hl91QE= (letters, digits, +, / and = padding)")
    return value


def _time_to_live(value: int) -> int:
    if value != -1 and not 1 <= value <= MAX_TIME_TO_LIVE:
        raise PydanticCustomError(
            "time_to_live", f"must be -1 (never expires) or from 1 to {MAX_TIME_TO_LIVE} seconds")
    return value


MessageId = Annotated[str, AfterValidator(_message_id),
                      WithJsonSchema({"type": "string", "format": "uuid"})]
PopReceipt = Annotated[str, AfterValidator(_pop_receipt),
                       WithJsonSchema({"type": "string", "format": "byte",
                                       "maxLength": MAX_POP_RECEIPT})]
TimeToLive = Annotated[int, AfterValidator(_time_to_live), WithJsonSchema({"anyOf": [
    {"type": "integer", "const": -1},
    {"type": "integer", "minimum": 1, "maximum": MAX_TIME_TO_LIVE}]})]


class SentMessage(BaseModel):
    """What the queue answered to a send."""

    id: str = Field(description="The message id (a GUID), needed to update or delete it.")
    inserted_on: datetime
    expires_on: datetime = Field(description="When the message expires if nobody deletes it.")
    next_visible_on: datetime = Field(
        description="When receivers can first see it (later than now with a visibility_timeout)."
    )
    pop_receipt: str = Field(
        description="Lets the sender update or delete the message until it is received."
    )


class PeekedMessage(BaseModel):
    """A message seen without taking it: no lease, no pop receipt."""

    id: str
    content: Any = Field(description="The JSON you sent (raw text if it is not JSON).")
    dequeue_count: int = Field(description="How many times it was received so far.")
    inserted_on: datetime
    expires_on: datetime


class ReceivedMessage(PeekedMessage):
    """A leased message: hidden from other receivers until ``next_visible_on``."""

    pop_receipt: str = Field(description="Proof of this lease: send it to update or delete.")
    next_visible_on: datetime = Field(
        description="When the message reappears to other receivers unless you delete it first."
    )


class UpdateRequest(BaseModel):
    """Change a leased message: its content and/or how long it stays hidden."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"pop_receipt": "AgAAAAMAAAAAAAAA", "content": {"order": 42,
                          "status": "paid"}, "visibility_timeout": 30}]
        }
    )

    pop_receipt: PopReceipt = Field(
        description="The pop receipt of your current lease (from receive or update), base64."
    )
    content: dict[str, Any] | None = Field(
        default=None, description="New content; leave out to keep the current content."
    )
    visibility_timeout: int = Field(
        ge=0, le=MAX_VISIBILITY_TIMEOUT,
        description="Seconds from now until the message is visible again; 0 hands the lease back.",
    )


class UpdatedMessage(BaseModel):
    id: str
    pop_receipt: str = Field(description="The NEW pop receipt; the one you sent is now stale.")
    next_visible_on: datetime


class QueueSummary(BaseModel):
    name: str
    approximate_message_count: int = Field(
        description="Approximate: includes leased and delayed messages; may lag on Azure."
    )
    metadata: dict[str, str]


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    queue: str


class FieldProblem(BaseModel):
    field: str = Field(description="Where the problem is, e.g. 'body.pop_receipt'.")
    problem: str


class ErrorBody(BaseModel):
    """Every error the service answers has this shape (never a stack trace)."""

    error: str = Field(description="A stable code, e.g. 'stale_pop_receipt'.")
    detail: str = Field(description="What went wrong and what to do about it.")
    service_error: str | None = Field(
        default=None, description="The storage service's error code, when it answered one."
    )
    fields: list[FieldProblem] | None = Field(
        default=None, description="For validation errors: each field that was wrong."
    )
