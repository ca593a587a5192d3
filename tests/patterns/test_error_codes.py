"""One error-code reader: the ``x-ms-error-code`` header first, then the SDK's code, then
the body; every part of the lessons' side reads codes through it.

Responses are real azure-core responses, answered offline by a scripted transport.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.storage.queue import QueueClient, StorageErrorCode
from offline_http import scripted_transport

from labsupport.patterns.error_codes import error_code
from labsupport.patterns.leases import is_stale_lease

LABSUPPORT = Path(__file__).resolve().parents[2] / "labsupport"
XML = {"Content-Type": "application/xml"}


def xml_error(code: str, message: str = "The specified queue does not exist.") -> bytes:
    return (f"<?xml version='1.0' encoding='utf-8'?><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error>").encode()


def transport(status: int, body: bytes = b"", headers: dict[str, str] | None = None):
    """A transport that answers every request with one scripted response, offline."""
    return scripted_transport(lambda request: (status, body, headers or {}))[0]


def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None):
    """A real azure-core HTTP response with this status, body and headers (no policy reads
    the body before the test does)."""
    client = PipelineClient("https://acct.queue.core.windows.net", policies=[],
                            transport=transport(status, body, headers))
    return client.send_request(HttpRequest("GET", "https://acct.queue.core.windows.net/q"))


def test_the_header_comes_first():
    answer = response(400, xml_error("FromTheBody"),
                      {**XML, "x-ms-error-code": "PopReceiptMismatch"})
    error = HttpResponseError(response=answer)
    error.error_code = "FromTheSdk"
    assert error_code(error) == "PopReceiptMismatch"
    assert error_code(answer) == "PopReceiptMismatch"


def test_then_the_sdks_code():
    error = HttpResponseError(response=response(404, xml_error("FromTheBody"), XML))
    error.error_code = StorageErrorCode.QUEUE_NOT_FOUND
    assert error_code(error) == "QueueNotFound"
    bare = HttpResponseError("no response at all")
    bare.error_code = StorageErrorCode.MESSAGE_NOT_FOUND
    assert error_code(bare) == "MessageNotFound"


def test_then_the_xml_or_json_body():
    assert error_code(HttpResponseError(response=response(404, xml_error("QueueNotFound"),
                                                          XML))) == "QueueNotFound"
    with_bom = b"\xef\xbb\xbf" + xml_error("MessageNotFound")  # a byte order mark first
    assert error_code(HttpResponseError(response=response(404, with_bom))) == "MessageNotFound"
    arm = b'{"error": {"code": "ResourceGroupNotFound", "message": "Not here."}}'
    answer = response(404, arm, {"Content-Type": "application/json"})
    assert error_code(ResourceNotFoundError(response=answer)) == "ResourceGroupNotFound"
    assert error_code(answer) == "ResourceGroupNotFound"


@pytest.mark.parametrize("status, body", [
    (200, xml_error("NotAnError")),        # a success names no code, whatever its body
    (500, b""),                            # nothing to read
    (500, b"<Error><Code>"),               # a body cut short
    (503, b"Service Unavailable"),         # plain text
    (404, b'["not", "an", "object"]'),     # JSON without a code
])
def test_nothing_named_gives_an_empty_code(status, body):
    assert error_code(response(status, body)) == ""
    assert error_code(HttpResponseError("no response")) == ""


def test_the_sdks_own_errors_read_the_same():
    answer = transport(404, xml_error("QueueNotFound"), {**XML, "x-ms-error-code": "QueueNotFound"})
    queue = QueueClient("https://acct.queue.core.windows.net", "orders",
                        credential="sv=2026-02-06&sp=r&" + "sig=c2ln", transport=answer)
    with pytest.raises(HttpResponseError) as caught:
        queue.peek_messages()
    assert error_code(caught.value) == "QueueNotFound"


def test_a_stale_lease_is_seen_from_the_header_alone():
    """The lease pattern once read only the SDK's attribute: a header-only code was missed."""
    answer = response(400, b"", {"x-ms-error-code": "PopReceiptMismatch"})
    assert is_stale_lease(HttpResponseError(response=answer))
    control = response(400, b"", {"x-ms-error-code": "InvalidQueryParameterValue"})
    assert not is_stale_lease(HttpResponseError(response=control))


def lessons_side():
    for path in sorted(LABSUPPORT.rglob("*.py")):
        part = path.relative_to(LABSUPPORT).parts[0]
        if part not in ("localcloud", "bench"):  # the emulator writes codes; bench: suite's
            yield path


def test_one_home_for_reading_error_codes():
    """No other module on the lessons' side defines a reader or reads the header itself."""
    home = LABSUPPORT / "patterns" / "error_codes.py"
    readers = [p.relative_to(LABSUPPORT).as_posix() for p in lessons_side()
               if p != home and re.search(r"def error_code|x-ms-error-code[\"']\)",
                                          p.read_text(encoding="utf-8"))]
    assert readers == []
    assert "def error_code(" in home.read_text(encoding="utf-8")
