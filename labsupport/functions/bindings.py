"""What the host hands a Python function, and what it does with the function's output.

* :func:`trigger_message` builds the ``azure.functions.QueueMessage`` the Python worker
  passes to a queue-triggered function — id, body, dequeue count, times, pop receipt —
  from a message received with the SDK. The body is the message text decoded as
  host.json's ``messageEncoding`` says: base64 by default ("Functions expect a base64
  encoded string", Learn: the trigger's Usage section). Text that is not base64 raises
  :class:`UndecodableMessage`: the host never calls the function for it.
* :class:`OutputBinding` is an ``azure.functions.Out``: what the function ``set()`` there,
  the host sends to the output binding's queue after the function returned, encoded the
  same way (:func:`encode_text`).

``azure.functions.queue.QueueMessage`` is the subclass of ``azure.functions.QueueMessage``
that the worker builds (the base class has no dequeue count).
"""

from __future__ import annotations

import base64
import binascii
import re

import azure.functions as func
from azure.functions.queue import QueueMessage

_WHITESPACE = re.compile(rb"[ \t\r\n]")


class UndecodableMessage(ValueError):
    """The message text is not valid for host.json's ``messageEncoding`` (base64)."""


def decode_body(text: str, encoding: str = "base64") -> bytes:
    """The body the function gets for a message stored as ``text``.

    ``base64``: .NET's decoder, which the host uses, skips whitespace; anything else that
    is not base64 raises :class:`UndecodableMessage`. ``none``: the text as UTF-8 bytes.
    """
    raw = text.encode("utf-8")
    if encoding == "none":
        return raw
    try:
        return base64.b64decode(_WHITESPACE.sub(b"", raw), validate=True)
    except (binascii.Error, ValueError):
        raise UndecodableMessage(
            f"the message text is not base64 ({text[:40]!r}{'…' if len(text) > 40 else ''}): "
            f"the producer sent plain text; send with TextBase64EncodePolicy, or set "
            f"messageEncoding to \"none\" in host.json") from None


def encode_text(value: str | bytes, encoding: str = "base64") -> str:
    """The text the host stores for an output value (``str`` or ``bytes``)."""
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if encoding == "none":
        return data.decode("utf-8")
    return base64.b64encode(data).decode("ascii")


def trigger_message(message, encoding: str = "base64") -> QueueMessage:
    """The ``azure.functions.QueueMessage`` the worker would pass for an SDK ``message``.

    ``message`` is what ``QueueClient.receive_messages`` returned from a client *without*
    a decode policy, so that ``message.content`` is the text as stored.
    """
    return QueueMessage(
        id=message.id,
        body=decode_body(message.content, encoding),
        dequeue_count=message.dequeue_count,
        expiration_time=message.expires_on,
        insertion_time=message.inserted_on,
        time_next_visible=message.next_visible_on,
        pop_receipt=message.pop_receipt,
    )


class OutputBinding(func.Out):
    """An ``azure.functions.Out`` for tests and for the model: keeps what was ``set()``."""

    def __init__(self) -> None:
        self._value = None

    def set(self, val) -> None:
        self._value = val

    def get(self):
        return self._value

    def messages(self) -> list:
        """What the host would send: nothing, one value, or each item of a list."""
        if self._value is None:
            return []
        if isinstance(self._value, (list, tuple)):
            return list(self._value)
        return [self._value]


__all__ = ["OutputBinding", "QueueMessage", "UndecodableMessage", "decode_body", "encode_text",
           "trigger_message"]
