"""The service's request and response bodies (pydantic), as the OpenAPI shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_VISIBILITY_TIMEOUT = 7 * 24 * 3600  # seconds: the service's upper bound (7 days)
MAX_BATCH = 32  # messages one peek or receive request may return


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

    pop_receipt: str = Field(
        min_length=1, description="The pop receipt of your current lease (from receive or update)."
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


class QueueInfo(BaseModel):
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
