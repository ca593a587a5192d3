"""What the host hands the function (trigger) and what it stores (outputs)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from types import SimpleNamespace

import azure.functions as func
import pytest

from labsupport.functions import (
    OutputBinding,
    UndecodableMessage,
    decode_body,
    encode_text,
    trigger_message,
)


def sdk_message(content: str, dequeue_count: int = 1):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return SimpleNamespace(id="id-1", content=content, dequeue_count=dequeue_count,
                           inserted_on=now, expires_on=now, next_visible_on=now,
                           pop_receipt="receipt")


def test_the_trigger_message_carries_the_sdk_message_s_fields():
    msg = trigger_message(sdk_message(base64.b64encode("café".encode()).decode(), 3))
    assert isinstance(msg, func.QueueMessage)
    assert (msg.id, msg.dequeue_count, msg.pop_receipt) == ("id-1", 3, "receipt")
    assert msg.get_body().decode() == "café"
    assert msg.insertion_time == msg.expiration_time == msg.time_next_visible


@pytest.mark.parametrize("text", ["order-42 shipped", "{\"order\": 1}", "abc", "ab=c"])
def test_text_that_is_not_base64_is_undecodable(text):
    with pytest.raises(UndecodableMessage, match="messageEncoding"):
        decode_body(text)


def test_base64_with_whitespace_decodes_as_dotnet_does():
    assert decode_body("aGVs\nbG8=") == b"hello"


def test_valid_base64_decodes_even_when_it_was_meant_as_text():
    """Plain text that happens to be base64 ("test") is not caught: garbage, no error."""
    assert decode_body("test") == base64.b64decode("test")


def test_encoding_none_passes_the_text_through():
    assert decode_body("order-42 shipped", "none") == b"order-42 shipped"
    assert encode_text("héllo", "none") == "héllo"


def test_outputs_are_encoded_like_the_trigger():
    assert encode_text("héllo") == base64.b64encode("héllo".encode()).decode()
    assert encode_text(b"\x00\xff") == "AP8="


def test_an_output_binding_keeps_what_was_set():
    out = OutputBinding()
    assert out.get() is None and out.messages() == []
    out.set("one")
    assert out.messages() == ["one"]
    out.set(["a", "b"])
    assert out.messages() == ["a", "b"]
    assert isinstance(out, func.Out)
