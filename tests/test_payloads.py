"""labsupport.payloads: sizes, pre-flight errors, the body-capturing hook, decoding advice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from azure.core.exceptions import DecodeError
from azure.storage.queue import (
    BinaryBase64DecodePolicy,
    BinaryBase64EncodePolicy,
    QueueClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from labsupport.errors import LabError
from labsupport.payloads import (
    MAX_BASE64_PAYLOAD_BYTES,
    MAX_MESSAGE_BYTES,
    BodyCapture,
    MessageEncodingError,
    MessageTooLargeError,
    XmlUnsafeTextError,
    encode_for_queue,
    explain_decoding,
    first_xml_unsafe,
    largest_accepted,
    preflight,
    wire_size,
    xml_unsafe_characters,
)


def test_the_limits_are_64_kib_and_three_quarters_of_it_for_base64():
    assert MAX_MESSAGE_BYTES == 65_536
    assert MAX_BASE64_PAYLOAD_BYTES == 49_152


def test_wire_size_counts_utf8_bytes_not_characters():
    assert wire_size("abc") == 3
    assert wire_size("é") == 2
    assert wire_size("€") == 3
    assert wire_size("😀") == 4


def test_wire_size_counts_the_base64_text_when_a_policy_encodes():
    assert wire_size("a" * 3, TextBase64EncodePolicy()) == 4
    assert wire_size("a" * 49_152, TextBase64EncodePolicy()) == 65_536
    assert wire_size(bytes(3), BinaryBase64EncodePolicy()) == 4


def test_without_a_policy_bytes_are_refused_like_the_sdk_does():
    with pytest.raises(TypeError, match="BinaryBase64EncodePolicy"):
        encode_for_queue(b"bytes")


def test_preflight_returns_the_size_of_a_message_that_fits():
    assert preflight("a" * MAX_MESSAGE_BYTES) == MAX_MESSAGE_BYTES
    assert preflight("a" * MAX_BASE64_PAYLOAD_BYTES, TextBase64EncodePolicy()) == 65_536


def test_preflight_refuses_one_byte_too_many_with_size_limit_and_claim_check():
    with pytest.raises(MessageTooLargeError) as caught:
        preflight("a" * (MAX_MESSAGE_BYTES + 1))
    text = str(caught.value)
    assert "65,537 bytes of UTF-8 text" in text
    assert "at most 65,536 bytes" in text
    assert "claim-check" in text


def test_preflight_names_base64_when_the_encoding_made_it_too_large():
    with pytest.raises(MessageTooLargeError, match="65,540 bytes once base64-encoded"):
        preflight("a" * (MAX_BASE64_PAYLOAD_BYTES + 1), TextBase64EncodePolicy())


def test_preflight_counts_multibyte_characters_as_bytes():
    preflight("é" * 32_768)
    with pytest.raises(MessageTooLargeError, match="65,538 bytes"):
        preflight("é" * 32_769)


def test_preflight_errors_are_lab_errors_and_value_errors():
    assert issubclass(MessageTooLargeError, LabError)
    assert issubclass(MessageTooLargeError, ValueError)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\ufffe", "\uffff", "\ud800"])
def test_preflight_refuses_characters_xml_cannot_carry_and_suggests_base64(character):
    with pytest.raises(XmlUnsafeTextError) as caught:
        preflight("ok" + character)
    assert f"U+{ord(character):04X} at position 2" in str(caught.value)
    assert "TextBase64EncodePolicy" in str(caught.value)


def test_preflight_names_every_character_xml_cannot_carry_with_its_position():
    with pytest.raises(XmlUnsafeTextError) as caught:
        preflight("a\x07b\ufffec\uffff")
    assert str(caught.value).startswith(
        "Characters U+0007 at position 1, U+FFFE at position 3 and U+FFFF at position 5 "
        "cannot travel in the XML body of a queue message")


def test_preflight_lists_the_first_few_and_counts_the_rest():
    with pytest.raises(XmlUnsafeTextError) as caught:
        preflight("\x01" * 12)
    assert str(caught.value).startswith(
        "Characters U+0001 at position 0, U+0001 at position 1, U+0001 at position 2, "
        "U+0001 at position 3, U+0001 at position 4 and 7 more cannot travel")


def test_xml_unsafe_characters_finds_all_of_them_in_order():
    assert xml_unsafe_characters("ok\x00ok\ud800\uffff") == [
        (2, "\x00"), (5, "\ud800"), (6, "\uffff")]
    assert xml_unsafe_characters("fine") == []


@pytest.mark.parametrize("text", ["tab\t", "lf\n", "cr\r", "<&>\"'", "é€😀", "\ue000"])
def test_characters_xml_can_carry_pass(text):
    assert first_xml_unsafe(text) is None
    assert xml_unsafe_characters(text) == []


def test_base64_makes_any_text_xml_safe():
    assert preflight("bell\x07", TextBase64EncodePolicy()) == 8


def request(body, method="POST"):
    return SimpleNamespace(http_request=SimpleNamespace(body=body, method=method))


def test_body_capture_keeps_bodies_and_undoes_xml_escapes():
    wire = BodyCapture()
    wire(request(None, "GET"))
    wire(request(b"<?xml version='1.0'?>\n<QueueMessage><MessageText>5 &lt; 6 &amp; 7"
                 b"</MessageText></QueueMessage>"))
    assert len(wire.bodies) == 1
    assert "&lt;" in wire.last
    assert wire.last_message_text == "5 < 6 & 7"
    wire.clear()
    with pytest.raises(LookupError, match="send or update a message first"):
        _ = wire.last


def test_body_capture_says_when_the_last_body_is_not_a_message():
    wire = BodyCapture()
    wire(request("<SignedIdentifiers/>", "PUT"))
    with pytest.raises(LookupError, match="no <MessageText>"):
        _ = wire.last_message_text


def test_body_capture_sees_what_the_sdk_sends(lab, queue):
    wire = BodyCapture()
    plain = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                        raw_request_hook=wire)
    plain.send_message("5 < 6")
    assert "<MessageText>5 &lt; 6</MessageText>" in wire.last
    encoded = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                          message_encode_policy=TextBase64EncodePolicy(), raw_request_hook=wire)
    encoded.send_message("5 < 6")
    assert wire.last_message_text == "NSA8IDY="


def test_explain_decoding_names_the_fix_for_the_text_policy(lab, queue):
    queue.send_message("plain text")
    reader = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                         message_decode_policy=TextBase64DecodePolicy())
    with pytest.raises(MessageEncodingError) as caught, explain_decoding():
        list(reader.peek_messages())
    assert "TextBase64EncodePolicy()" in str(caught.value)
    assert "messageEncoding" in str(caught.value)
    assert isinstance(caught.value.__cause__, AttributeError)  # the SDK bug, see fidelity


def test_explain_decoding_names_the_fix_for_the_binary_policy(lab, queue):
    queue.send_message("plain text")
    reader = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                         message_decode_policy=BinaryBase64DecodePolicy())
    with pytest.raises(MessageEncodingError) as caught, explain_decoding():
        list(reader.peek_messages())
    assert isinstance(caught.value.__cause__, DecodeError)


def test_explain_decoding_lets_other_attribute_errors_through():
    with pytest.raises(AttributeError, match="something else"), explain_decoding():
        raise AttributeError("something else")


def test_largest_accepted_finds_the_boundary_with_few_probes():
    probes = []

    def accepts(n):
        probes.append(n)
        return n <= 65_536

    assert largest_accepted(accepts, 1, 100_000) == 65_536
    assert len(probes) <= 20


def test_largest_accepted_handles_the_edges():
    assert largest_accepted(lambda n: n <= 1, 1, 2) == 1
    assert largest_accepted(lambda n: n <= 9, 1, 10) == 9


@pytest.mark.parametrize(("low", "high", "message"), [
    (5, 5, "must be smaller"),
    (20, 30, "refused already"),
    (1, 8, "accepted too"),
])
def test_largest_accepted_says_when_the_range_is_wrong(low, high, message):
    with pytest.raises(ValueError, match=message):
        largest_accepted(lambda n: n <= 10, low, high)
