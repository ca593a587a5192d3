"""Characters XML 1.0 forbids are refused up front, as on Azure (patches/azurite+3.35.0.patch).

Azure answers a Put Message or Update Message whose XML body holds such a character with
400 InvalidXmlDocument (recorded: https://github.com/Azure/azure-sdk-for-net/issues/11358).
Unpatched, Azurite 3.35.0 stored the message, and every later peek or receive on the queue
answered 500. The tests use the plain SDK, with its retries off so each answer shows at once.
"""

from __future__ import annotations

import re

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.queue import QueueClient

from labsupport.patterns.error_codes import error_code

# XML 1.0 Char (https://www.w3.org/TR/xml/#charsets) excludes these, and lone surrogates
# (U+D800-U+DFFF), which UTF-8 cannot carry: only a character reference can name one.
FORBIDDEN = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\ufffe", "\uffff"]
ALLOWED = ["\t", "\n", "\r", "\x20", "\ud7ff", "\ue000", "\ufffd", "\U0001f600"]


@pytest.fixture
def fragile(lab, queue) -> QueueClient:
    """The test's queue through a client that does not retry: a 500 shows at once."""
    return QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                       retry_total=0)


def refused(call) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as caught:
        call()
    return caught.value


def details(error: HttpResponseError) -> dict[str, str]:
    """The additional elements of the error body (LineNumber, LinePosition, Reason)."""
    text = error.response.text()
    return dict(re.findall(r"<(LineNumber|LinePosition|Reason)>([^<]*)<", text))


def assert_queue_works(queue: QueueClient) -> None:
    """Peek and receive answer 200, and a plain message still goes through."""
    assert queue.peek_messages(max_messages=32) == []
    queue.send_message("still works")
    message = queue.receive_message()
    assert message.content == "still works"
    queue.delete_message(message)


@pytest.mark.parametrize("character", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_send_message_with_a_forbidden_character_is_refused_and_the_queue_keeps_working(
        fragile, character):
    error = refused(lambda: fragile.send_message(f"ok{character}"))
    assert (error.status_code, error_code(error)) == (400, "InvalidXmlDocument")
    assert_queue_works(fragile)


@pytest.mark.parametrize("character", ["\x07", "\uffff"], ids=["U+0007", "U+FFFF"])
def test_update_message_with_a_forbidden_character_is_refused_and_leaves_the_message(
        fragile, character):
    fragile.send_message("original")
    leased = fragile.receive_message(visibility_timeout=60)
    error = refused(lambda: fragile.update_message(leased, content=f"new{character}",
                                                   visibility_timeout=0))
    assert (error.status_code, error_code(error)) == (400, "InvalidXmlDocument")
    # Nothing changed: the pop receipt still holds, and the text is the original one.
    fragile.update_message(leased, visibility_timeout=0)
    assert [m.content for m in fragile.peek_messages()] == ["original"]
    fragile.clear_messages()
    assert_queue_works(fragile)


def test_the_error_names_where_the_character_is_in_the_body_like_azure(fragile):
    """Azure's recorded body adds LineNumber, LinePosition and Reason "Error parsing Xml
    content"; the position is that of the character in the body the SDK sent."""
    sent = {}

    def keep_body(request):
        sent["body"] = request.http_request.body.decode("utf-8")

    error = refused(lambda: fragile.send_message("ring \x07", raw_request_hook=keep_body))
    lines = sent["body"].split("\n")
    line = next(n for n, text in enumerate(lines, 1) if "\x07" in text)
    assert details(error) == {"LineNumber": str(line),
                              "LinePosition": str(lines[line - 1].index("\x07") + 1),
                              "Reason": "Error parsing Xml content"}
    assert error.response.headers["Content-Type"].startswith("application/xml")


@pytest.mark.parametrize("character", ALLOWED, ids=lambda c: f"U+{ord(c):04X}")
def test_characters_xml_allows_still_round_trip(fragile, character):
    """The control: tab, LF, CR and the edges of the allowed ranges are not refused."""
    fragile.send_message(f"ok{character}ok")
    assert fragile.receive_message().content == f"ok{character}ok"


@pytest.mark.parametrize("reference", ["&#7;", "&#xFFFF;", "&#xD800;"])
def test_a_reference_to_a_forbidden_character_is_refused_too(lab, fragile, reference):
    """A hand-made body can name a character by reference (the SDK escapes & instead). XML
    1.0 forbids that as well; Azurite's XML parser refused it before the patch, with its
    bare 400 for a body it cannot parse (no error code; Azure: InvalidXmlDocument)."""
    token = lab.credential.get_token("https://storage.azure.com/.default").token
    answer = requests.post(
        f"{fragile.url}/messages",
        data=f"<QueueMessage><MessageText>ok{reference}</MessageText></QueueMessage>",
        headers={"Authorization": f"Bearer {token}", "x-ms-version": "2018-03-28",
                 "Content-Type": "application/xml"},
        timeout=30,
    )
    assert answer.status_code == 400, answer.text
    assert_queue_works(fragile)
