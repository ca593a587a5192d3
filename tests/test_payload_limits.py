"""Fidelity: what notebook 08 teaches about encoding and size, proven against Azurite.

The boundaries are tested directly (the notebook finds them by binary search). Where
Azurite differs from Azure, or the SDK has a bug, the test pins what actually happens
and says so; the notebook carries the matching callout.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import DecodeError, HttpResponseError
from azure.storage.queue import (
    BinaryBase64DecodePolicy,
    BinaryBase64EncodePolicy,
    QueueClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from labsupport.patterns.leases import error_code
from labsupport.waits import wait_until_visible


def client(lab, queue, **options) -> QueueClient:
    return QueueClient(lab.account_url, queue.queue_name, credential=lab.credential, **options)


def base64_client(lab, queue) -> QueueClient:
    return client(lab, queue, message_encode_policy=TextBase64EncodePolicy(),
                  message_decode_policy=TextBase64DecodePolicy())


def refusal(queue, content) -> tuple[int, str, str]:
    with pytest.raises(HttpResponseError) as caught:
        queue.send_message(content)
    error = caught.value
    return error.status_code, error_code(error), error.message.splitlines()[-1]


# --- the 64 KiB limit ---------------------------------------------------------------------

def test_65536_bytes_of_text_are_accepted_and_come_back_intact(queue):
    queue.send_message("a" * 65_536)
    assert queue.receive_message().content == "a" * 65_536


def test_65537_bytes_are_refused_with_413_request_body_too_large(queue):
    assert refusal(queue, "a" * 65_537) == (413, "RequestBodyTooLarge", "maxlimit:65536")


def test_with_base64_49152_payload_bytes_are_accepted(lab, queue):
    encoded = base64_client(lab, queue)
    encoded.send_message("a" * 49_152)
    assert encoded.receive_message().content == "a" * 49_152


def test_with_base64_49153_payload_bytes_are_refused_with_413(lab, queue):
    assert refusal(base64_client(lab, queue), "a" * 49_153)[:2] == (413, "RequestBodyTooLarge")


def test_the_limit_counts_utf8_bytes_not_characters(queue):
    queue.send_message("é" * 32_768)  # 65,536 bytes
    assert refusal(queue, "é" * 32_769)[:2] == (413, "RequestBodyTooLarge")


def test_on_azurite_the_limit_counts_the_text_after_xml_unescaping(queue):
    # 65,536 '<' travel as 262,144 bytes of '&lt;' and are accepted: the message text is
    # measured, not the request body. Azure does the same (notebook 08 says so).
    queue.send_message("<" * 65_536)
    assert refusal(queue, "<" * 65_537)[:2] == (413, "RequestBodyTooLarge")


def test_text_of_ampersands_angle_brackets_and_quotes_counts_as_text(queue):
    # Notebook 08's measurement: 64 KiB of '&<"' (218,455 bytes escaped) is accepted.
    text = ('&<"' * 21_846)[:65_536]
    queue.send_message(text)
    assert queue.receive_message().content == text
    assert refusal(queue, text + "&")[:2] == (413, "RequestBodyTooLarge")


# --- Azurite garbles multi-byte characters across 16 KiB chunks of the request ---------------

def test_on_azurite_a_3_byte_character_split_by_a_16_kib_chunk_comes_back_as_fffd(queue):
    # Azurite 3.35 joins the request body's chunks as strings, so a character whose bytes
    # straddle a chunk boundary turns into U+FFFD. Azure keeps the text intact.
    text = "€" * 10_000  # 30,000 bytes: the body crosses one 16 KiB boundary mid-character
    queue.send_message(text)
    received = queue.receive_message().content
    assert received != text
    assert "\ufffd" in received


def test_base64_text_is_ascii_and_survives_the_same_size_intact(lab, queue):
    encoded = base64_client(lab, queue)
    encoded.send_message("€" * 10_000)
    assert encoded.receive_message().content == "€" * 10_000


def test_a_text_of_only_two_byte_characters_stays_intact_on_azurite(queue):
    # The XML prefix is 66 bytes and the chunks 16 KiB: such characters never straddle a
    # boundary, so the é measurement of the limit is safe.
    queue.send_message("é" * 20_000)
    assert queue.receive_message().content == "é" * 20_000


def test_on_azurite_two_byte_characters_shifted_by_one_byte_are_garbled_too(queue):
    text = "a" + "é" * 10_000
    queue.send_message(text)
    assert "\ufffd" in queue.receive_message().content


# --- what goes on the wire ----------------------------------------------------------------

def test_xml_special_characters_round_trip_without_encoding(queue):
    text = '<order id="1"> & \'quotes\' </order>\ttab\nnewline\r\n'
    queue.send_message(text)
    assert queue.receive_message().content == text


def test_bytes_round_trip_with_the_binary_policies(lab, queue):
    binary = client(lab, queue, message_encode_policy=BinaryBase64EncodePolicy(),
                    message_decode_policy=BinaryBase64DecodePolicy())
    binary.send_message(bytes(range(256)))
    assert binary.receive_message().content == bytes(range(256))


def test_a_plain_client_reads_base64_text_as_it_is_stored(lab, queue):
    base64_client(lab, queue).send_message("hello")
    assert queue.peek_messages()[0].content == "aGVsbG8="


# --- control characters -------------------------------------------------------------------

@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\ufffe"])
def test_a_control_character_is_refused_as_on_azure(lab, queue, character):
    # Azure refuses such a message (400 InvalidXmlDocument); so does the patched Azurite
    # (unpatched, it stored it and answered 500 to every read of the queue:
    # tests/local_cloud/test_azurite_xml_characters.py, patches/README.md).
    fragile = client(lab, queue, retry_total=0)
    assert refusal(fragile, "ok" + character)[:2] == (400, "InvalidXmlDocument")
    assert fragile.peek_messages() == []


def test_base64_carries_control_characters_intact(lab, queue):
    encoded = base64_client(lab, queue)
    encoded.send_message("bell\x07 nul\x00")
    assert encoded.receive_message().content == "bell\x07 nul\x00"


# --- decoding with the wrong policy ---------------------------------------------------------

def test_sdk_bug_text_base64_decode_raises_attribute_error_not_decode_error(lab, queue):
    # azure-storage-queue 12.18.1 passes the PipelineResponse to DecodeError, which reads
    # response.reason: AttributeError. If this test fails, the SDK was fixed: update 08.
    queue.send_message("plain text")
    reader = client(lab, queue, message_decode_policy=TextBase64DecodePolicy())
    with pytest.raises(AttributeError, match="'PipelineResponse' object has no attribute"):
        reader.peek_messages()


def test_binary_base64_decode_raises_decode_error(lab, queue):
    queue.send_message("plain text")
    reader = client(lab, queue, message_decode_policy=BinaryBase64DecodePolicy())
    with pytest.raises(DecodeError, match="not valid base 64"):
        reader.peek_messages()


def test_plain_text_that_happens_to_be_valid_base64_decodes_to_garbage_silently(lab, queue):
    queue.send_message("test")
    reader = client(lab, queue, message_decode_policy=BinaryBase64DecodePolicy())
    assert reader.peek_messages()[0].content == b"\xb5\xeb-"


def test_a_failed_decode_on_receive_leaves_the_message_leased_and_it_comes_back(lab, queue):
    queue.send_message("plain text")
    reader = client(lab, queue, message_decode_policy=TextBase64DecodePolicy())
    with pytest.raises(AttributeError):
        list(reader.receive_messages(visibility_timeout=1))
    assert queue.peek_messages() == []
    wait_until_visible(queue, "plain text")
    assert queue.receive_message().dequeue_count == 2
