"""The OpenAPI tells the truth: at-least-once delivery, no ordering guarantee, pop is
at-most-once; and it lists the routes existing clients of the seed app use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labsupport.api.examples import openapi_document


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def test_description_says_at_least_once_and_no_order(document):
    description = document["info"]["description"]
    assert "**Delivery is at least once.**" in description
    assert "**Order is not guaranteed.**" in description
    assert "This\nis not a FIFO queue" in description


def test_no_operation_claims_fifo(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            text = (operation.get("description") or "") + (operation.get("summary") or "")
            for line in text.splitlines():
                assert "FIFO" not in line or "Not FIFO" in line or "not a FIFO" in line, (
                    f"{method.upper()} {path} claims an order: {line}")


def test_pop_is_documented_as_at_most_once(document):
    pop = document["paths"]["/queue/messages/pop"]["get"]["description"]
    assert "**at most once**" in pop and "Not FIFO" in pop


def test_routes_compatible_with_the_seed_app(document):
    routes = {(method.upper(), path) for path, operations in document["paths"].items()
              for method in operations}
    assert routes == {
        ("POST", "/queue/messages"), ("GET", "/queue/messages/peek"),
        ("GET", "/queue/messages"), ("GET", "/queue/messages/pop"),
        ("PUT", "/queue/messages/{message_id}"), ("DELETE", "/queue/messages/{message_id}"),
        ("DELETE", "/queue/messages"), ("GET", "/queue"), ("GET", "/healthz"),
    }


def test_error_answers_are_documented_with_the_error_body(document):
    send = document["paths"]["/queue/messages"]["post"]["responses"]
    assert {"201", "404", "413", "422", "503"} <= set(send)
    assert send["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


PINNED = Path(__file__).with_name("openapi.json")


def test_the_document_is_the_pinned_one_byte_for_byte(document):
    """Clients read this document: any change to it (paths, parameters, schemas, answers,
    words, order) must be made on purpose, by rewriting tests/api/openapi.json."""
    assert json.dumps(document, indent=1, ensure_ascii=False) + "\n" == PINNED.read_text(
        encoding="utf-8")


def test_a_typed_message_model_is_what_a_send_takes():
    from pydantic import BaseModel

    from labsupport.api import QueueClientSettings, create_app

    class Order(BaseModel):
        order: int
        item: str

    settings = QueueClientSettings(account_url="https://127.0.0.1/unused", queue_name="queue-api")
    typed = create_app(settings, message_model=Order).openapi()
    body = typed["paths"]["/queue/messages"]["post"]["requestBody"]
    assert body == {"required": True, "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Order",
        "examples": [{"order": 42, "item": "book", "quantity": 1}]}}}}
    assert typed["components"]["schemas"]["Order"]["required"] == ["order", "item"]
    untyped = dict(typed["paths"]["/queue/messages"]["post"], requestBody=None)
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))["paths"]["/queue/messages"]["post"]
    assert untyped == dict(pinned, requestBody=None)  # only the body's type differs
