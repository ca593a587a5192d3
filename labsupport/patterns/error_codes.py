"""Read the error code of a failed request: the one part of a refusal to branch on.

Azure Storage names every failure with a code (``PopReceiptMismatch``, ``QueueNotFound``,
``AuthenticationFailed`` …) in the ``x-ms-error-code`` response header and again in the
body: ``<Error><Code>…</Code>`` in XML on the data plane (the Queue service error codes
reference). Azure Resource Manager puts it in a JSON body, ``{"error": {"code": …}}``.
The message beside the code is written for people and is not a contract: never branch
on its words.

:func:`error_code` reads, in this order:

1. the ``x-ms-error-code`` header — what the service said, whatever the SDK made of it;
2. the SDK's own ``HttpResponseError.error_code`` — set when the SDK parsed the answer;
3. the body of an answer that failed (status 400 or more): XML ``Code`` or JSON ``code``.

It takes the exception the SDK raised, or the HTTP response itself (what a
``raw_response_hook`` sees as ``pipeline_response.http_response``), and gives ``""``
when nothing names a code. It needs the standard library only: copy it as it is.
"""

from __future__ import annotations

import codecs
import json
import xml.etree.ElementTree as ElementTree

HEADER = "x-ms-error-code"


def error_code(failure) -> str:
    """The service's error code, e.g. ``"PopReceiptMismatch"`` (``""`` if none is named).

    ``failure`` is an exception with a ``response`` (``HttpResponseError`` and its
    subclasses) or an HTTP response (``.headers``, ``.status_code`` and a body).
    """
    if isinstance(failure, BaseException):
        response = getattr(failure, "response", None)
        sdk_code = getattr(failure, "error_code", None)
    else:
        response, sdk_code = failure, None
    return (_from_header(response) or _text(sdk_code) or _from_body(response))


def _text(code) -> str:
    """An SDK code as plain text: ``StorageErrorCode.QUEUE_NOT_FOUND`` -> ``QueueNotFound``."""
    return str(getattr(code, "value", code) or "")


def _from_header(response) -> str:
    headers = getattr(response, "headers", None)
    return _text(headers.get(HEADER)) if headers is not None else ""


def _from_body(response) -> str:
    if response is None or (getattr(response, "status_code", None) or 400) < 400:
        return ""
    body = _body(response).removeprefix(codecs.BOM_UTF8).strip()  # XML may start with a BOM
    if body.startswith(b"<"):
        return _xml_code(body)
    if body.startswith(b"{"):
        return _json_code(body)
    return ""


def _body(response) -> bytes:
    """The body's bytes; empty when it was streamed away or cannot be read."""
    for read in (lambda: response.body(), lambda: response.content):
        try:
            data = read()
        except Exception:  # noqa: BLE001 - an unread or closed body names no code
            continue
        if isinstance(data, str):
            data = data.encode("utf-8")
        if isinstance(data, (bytes, bytearray)):
            return bytes(data)
    return b""


def _xml_code(body: bytes) -> str:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return ""
    code = root.find("Code")
    return (code.text or "").strip() if code is not None else ""


def _json_code(body: bytes) -> str:
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    error = document.get("error")
    code = error.get("code") if isinstance(error, dict) else document.get("code")
    return code if isinstance(code, str) else ""
