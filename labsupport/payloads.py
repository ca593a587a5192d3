"""Message payloads: what goes on the wire, how big it may be, and clear errors before the call.

Queue Storage carries a message as text inside an XML request body
(``<QueueMessage><MessageText>…</MessageText></QueueMessage>``). The Python SDK sends text
as it is unless the client has an encode policy (``TextBase64EncodePolicy``,
``BinaryBase64EncodePolicy``); what ends up in ``MessageText`` is what the service stores,
what it measures against the 64 KiB limit, and what every other consumer sees.

* :func:`preflight` — refuse a message before the call, with the reason and the fix:
  more than 64 KiB (use a claim check), or characters XML cannot carry (use base64);
  :func:`xml_unsafe_characters` finds those characters (the queue API refuses them too).
* :class:`BodyCapture` — a ``raw_request_hook`` that keeps the request bodies, to look
  at the bytes on the wire.
* :func:`explain_decoding` — turn "this message is not base64" into an error that names
  the fix (and catch the ``AttributeError`` azure-storage-queue 12.18.1 raises instead of
  ``DecodeError``).
* :func:`largest_accepted` — a binary search, to measure a limit instead of quoting it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from xml.sax.saxutils import unescape

from azure.core.exceptions import DecodeError
from azure.storage.queue import BinaryBase64EncodePolicy, TextBase64EncodePolicy

from .errors import LabError

MAX_MESSAGE_BYTES = 64 * 1024
"""The largest message text the service accepts: 65,536 bytes of UTF-8 (64 KiB)."""

MAX_BASE64_PAYLOAD_BYTES = MAX_MESSAGE_BYTES // 4 * 3
"""The largest payload that still fits once base64-encoded (4 characters per 3 bytes)."""

# Characters XML 1.0 cannot carry, even escaped: C0 controls other than tab, LF and CR,
# lone surrogates, and U+FFFE/U+FFFF.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MESSAGE_TEXT = re.compile(r"<MessageText>(.*)</MessageText>", re.DOTALL)


class PayloadError(LabError, ValueError):
    """A message that cannot be sent (or read) as it is; the text says how to fix it."""


class MessageTooLargeError(PayloadError):
    """The message is larger than the service accepts."""


class XmlUnsafeTextError(PayloadError):
    """The message holds a character that cannot travel in the XML request body."""


class MessageEncodingError(PayloadError):
    """A message's encoding does not match the client's decode policy."""


def encode_for_queue(content: str | bytes, encode_policy=None) -> str:
    """The text the SDK puts in ``<MessageText>`` for ``content`` with ``encode_policy``.

    ``None`` is the SDK's default (no encoding: text only, bytes are refused).
    """
    if encode_policy is None:
        if isinstance(content, bytes):
            raise TypeError("bytes need message_encode_policy=BinaryBase64EncodePolicy(); "
                            "without a policy a queue message is text")
        return content
    return encode_policy.encode(content)


def wire_size(content: str | bytes, encode_policy=None) -> int:
    """How many bytes the service counts against the limit: the UTF-8 message text."""
    return len(encode_for_queue(content, encode_policy).encode("utf-8", "surrogatepass"))


def first_xml_unsafe(text: str) -> tuple[int, str] | None:
    """``(position, character)`` of the first character XML cannot carry, or None."""
    found = _XML_UNSAFE.search(text)
    return (found.start(), found.group()) if found else None


def xml_unsafe_characters(text: str) -> list[tuple[int, str]]:
    """``(position, character)`` of every character XML cannot carry, in order."""
    return [(found.start(), found.group()) for found in _XML_UNSAFE.finditer(text)]


def describe_characters(found: list[tuple[int, str]], shown: int = 5) -> str:
    """``U+0007 at position 1, U+FFFE at position 3 and 2 more``: code points and positions
    (0-based, in characters), the first ``shown`` of them."""
    parts = [f"U+{ord(character):04X} at position {position}"
             for position, character in found[:shown]]
    if len(found) > shown:
        return f"{', '.join(parts)} and {len(found) - shown} more"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _is_base64(encode_policy) -> bool:
    return isinstance(encode_policy, TextBase64EncodePolicy | BinaryBase64EncodePolicy)


def preflight(content: str | bytes, encode_policy=None, *,
              limit: int = MAX_MESSAGE_BYTES) -> int:
    """Check a message before sending it; return its size on the wire in bytes.

    Raises :class:`XmlUnsafeTextError` (each character, its position and the fix: base64) or
    :class:`MessageTooLargeError` (size, limit and the fix: a claim check).
    """
    text = encode_for_queue(content, encode_policy)
    unsafe = xml_unsafe_characters(text)
    if unsafe:
        several = len(unsafe) > 1
        raise XmlUnsafeTextError(
            f"Character{'s' if several else ''} {describe_characters(unsafe)} cannot travel in "
            f"the XML body of a queue message (Azure answers 400 InvalidXmlDocument). Send the "
            f"text base64-encoded — QueueClient(..., message_encode_policy="
            f"TextBase64EncodePolicy()) and the same decode policy for consumers — or remove "
            f"{'those characters' if several else 'the character'}."
        )
    size = len(text.encode("utf-8"))
    if size > limit:
        encoded = " once base64-encoded" if _is_base64(encode_policy) else " of UTF-8 text"
        raise MessageTooLargeError(
            f"This message is {size:,} bytes{encoded}; a queue message may be at most "
            f"{limit:,} bytes (64 KiB). Put the payload in a blob and send a small reference "
            f"instead (the claim-check pattern: labsupport.patterns.claim_check)."
        )
    return size


class BodyCapture:
    """A ``raw_request_hook`` that keeps the body of every request that carries one.

    Pass it when building a client, then look at what went over the wire::

        wire = BodyCapture()
        queue = QueueClient(url, name, credential=cred, raw_request_hook=wire)
        queue.send_message("hello")
        print(wire.last)
    """

    def __init__(self) -> None:
        self.bodies: list[str] = []

    def __call__(self, request) -> None:
        body = request.http_request.body
        if body:
            if isinstance(body, bytes):
                body = body.decode("utf-8", "replace")
            self.bodies.append(body)

    @property
    def last(self) -> str:
        """The most recent request body (as text)."""
        if not self.bodies:
            raise LookupError("no request with a body yet: send or update a message first")
        return self.bodies[-1]

    @property
    def last_message_text(self) -> str:
        """The ``<MessageText>`` of the last body, XML escapes undone (what the queue stores)."""
        found = _MESSAGE_TEXT.search(self.last)
        if not found:
            raise LookupError("the last request body holds no <MessageText>")
        return unescape(found.group(1))

    def clear(self) -> None:
        self.bodies.clear()


ENCODING_ADVICE = (
    "A message in this queue is not valid base64, but this client decodes with a base64 "
    "policy: the producer sent plain text (the Python SDK's default). Fix the producer — "
    "QueueClient(..., message_encode_policy=TextBase64EncodePolicy()) — or read the queue "
    "as it is: drop message_decode_policy (an Azure Functions app: set "
    "extensions.queues.messageEncoding to \"none\" in host.json)."
)


@contextmanager
def explain_decoding() -> Iterator[None]:
    """Turn a failed base64 decode into a :class:`MessageEncodingError` that names the fix.

    Wrap the call *and* the iteration (the SDK decodes while you iterate)::

        with explain_decoding():
            messages = list(queue.peek_messages())

    ``BinaryBase64DecodePolicy`` raises ``DecodeError``; ``TextBase64DecodePolicy`` in
    azure-storage-queue 12.18.1 raises ``AttributeError: 'PipelineResponse' object has no
    attribute 'reason'`` instead (it builds the ``DecodeError`` wrongly). Both are caught.
    """
    try:
        yield
    except DecodeError as error:
        raise MessageEncodingError(ENCODING_ADVICE) from error
    except AttributeError as error:
        if "PipelineResponse" not in str(error):
            raise
        raise MessageEncodingError(ENCODING_ADVICE) from error


def largest_accepted(accepts: Callable[[int], bool], low: int, high: int) -> int:
    """The largest ``n`` in ``[low, high)`` for which ``accepts(n)`` is true (binary search).

    ``accepts`` must be true up to some limit and false above it; ``accepts(low)`` must be
    true and ``accepts(high)`` false. It is called about log2(high - low) + 2 times.
    """
    if low >= high:
        raise ValueError(f"low ({low}) must be smaller than high ({high})")
    if not accepts(low):
        raise ValueError(f"{low} was refused already: choose a smaller low")
    if accepts(high):
        raise ValueError(f"{high} was accepted too: choose a larger high")
    while high - low > 1:
        middle = (low + high) // 2
        if accepts(middle):
            low = middle
        else:
            high = middle
    return low
