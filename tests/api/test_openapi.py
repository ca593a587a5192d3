"""The OpenAPI tells the truth: at-least-once delivery, no ordering guarantee, pop is
at-most-once; and it lists the routes existing clients of the seed app use."""

from __future__ import annotations

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
