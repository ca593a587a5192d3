"""Every error mapping: a status a client can act on and a body that says why, never a
bare 500 with a stack trace."""

from __future__ import annotations

import asyncio
import base64

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from labsupport.api import QueueClientSettings, create_app, routes
from labsupport.api.app import ensure_queue
from labsupport.api.errors import from_storage
from labsupport.ports import free_port

from .conftest import TestClient


def leased(client, content=None):
    assert client.post("/queue/messages", json=content or {"order": 1}).status_code == 201
    return client.get("/queue/messages", params={"visibility_timeout": 60}).json()[0]


def assert_error(answer, status, error):
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == error, body
    assert body["detail"], "every error says what went wrong"
    assert "Traceback" not in answer.text
    return body


def test_delete_with_a_stale_pop_receipt_is_404_stale_pop_receipt(client):
    message = leased(client)
    fresh = client.put(f"/queue/messages/{message['id']}", json={
        "pop_receipt": message["pop_receipt"], "visibility_timeout": 60}).json()
    answer = client.delete(f"/queue/messages/{message['id']}",
                           params={"pop_receipt": message["pop_receipt"]})
    body = assert_error(answer, 404, "stale_pop_receipt")
    assert body["service_error"] == "PopReceiptMismatch"  # Azurite's answer (400 upstream)
    assert "receive it again and use the new pop receipt" in body["detail"]
    assert client.delete(f"/queue/messages/{message['id']}",
                         params={"pop_receipt": fresh["pop_receipt"]}).status_code == 204


def test_update_with_a_stale_pop_receipt_is_404_stale_pop_receipt(client):
    message = leased(client)
    client.put(f"/queue/messages/{message['id']}",
               json={"pop_receipt": message["pop_receipt"], "visibility_timeout": 60})
    answer = client.put(f"/queue/messages/{message['id']}",
                        json={"pop_receipt": message["pop_receipt"], "visibility_timeout": 0})
    assert_error(answer, 404, "stale_pop_receipt")


def test_a_message_that_is_gone_is_the_same_404_stale_pop_receipt(client):
    """Azurite says 404 MessageNotFound once a message is gone; Microsoft documents it for a
    stale receipt too, so the service cannot claim "gone" and answers as for any stale
    receipt."""
    message = leased(client)
    client.delete(f"/queue/messages/{message['id']}",
                  params={"pop_receipt": message["pop_receipt"]})
    answer = client.delete(f"/queue/messages/{message['id']}",
                           params={"pop_receipt": message["pop_receipt"]})
    body = assert_error(answer, 404, "stale_pop_receipt")
    assert body["service_error"] == "MessageNotFound"
    assert "deleted or expired" in body["detail"]


def test_an_unknown_message_id_is_404_stale_pop_receipt(client):
    message = leased(client)
    answer = client.delete("/queue/messages/00000000-0000-0000-0000-000000000000",
                           params={"pop_receipt": message["pop_receipt"]})
    assert_error(answer, 404, "stale_pop_receipt")


def storage_error(status: int, code: str) -> HttpResponseError:
    """What the SDK raises for a stale receipt: 400 PopReceiptMismatch (Azurite; listed in
    Azure's error codes) or 404 MessageNotFound (documented by Delete Message)."""
    error = (ResourceNotFoundError if status == 404 else HttpResponseError)("stale")
    error.status_code, error.error_code = status, code
    return error


STALE_ANSWERS = [(400, "PopReceiptMismatch"), (404, "MessageNotFound")]


def test_azures_and_azurites_stale_receipt_errors_map_to_one_answer():
    azurite, azure = (from_storage(storage_error(*answer)) for answer in STALE_ANSWERS)
    assert (azurite.status, azurite.error, azurite.detail) == (
        azure.status, azure.error, azure.detail) == (404, "stale_pop_receipt", azure.detail)
    assert (azurite.service_error, azure.service_error) == ("PopReceiptMismatch",
                                                            "MessageNotFound")


@pytest.mark.parametrize("status, code", STALE_ANSWERS)
def test_a_stale_lease_gets_the_same_answer_on_either_backend(client, status, code):
    """Delete and update of a message that still exists, with a receipt that is stale: the
    client sees the same status, error and detail whichever way storage said it."""
    class StaleStorage:
        queue_name = "stale"

        async def delete_message(self, message_id, pop_receipt):
            raise storage_error(status, code)

        async def update_message(self, message_id, pop_receipt, content, **kwargs):
            raise storage_error(status, code)

    guid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    real, client.app.state.queue = client.app.state.queue, StaleStorage()
    try:
        answers = [
            client.delete(f"/queue/messages/{guid}", params={"pop_receipt": "AgAAAA=="}),
            client.put(f"/queue/messages/{guid}",
                       json={"pop_receipt": "AgAAAA==", "visibility_timeout": 0}),
        ]
    finally:
        client.app.state.queue = real
    for answer in answers:
        body = assert_error(answer, 404, "stale_pop_receipt")
        assert body == {"error": "stale_pop_receipt", "detail": from_storage(
            storage_error(*STALE_ANSWERS[0])).detail, "service_error": code}


def test_a_message_over_64_kib_is_413_from_the_queue_service(client):
    answer = client.post("/queue/messages", json={"blob": "x" * 70_000})
    body = assert_error(answer, 413, "message_too_large")
    assert body["service_error"] == "RequestBodyTooLarge"


def test_a_body_over_the_service_limit_is_413_before_it_is_read(client):
    answer = client.post("/queue/messages", content=b'{"x":"' + b"y" * 2_000_000 + b'"}',
                         headers={"content-type": "application/json"})
    body = assert_error(answer, 413, "message_too_large")
    assert "service_error" not in body


def test_a_chunked_body_over_the_service_limit_is_413_too(client):
    def chunks():
        yield b'{"x":"'
        for _ in range(12):
            yield b"y" * 100_000
        yield b'"}'

    answer = client.post("/queue/messages", content=chunks(),
                         headers={"content-type": "application/json"})
    assert_error(answer, 413, "message_too_large")


def test_update_without_pop_receipt_is_422_naming_the_field(client):
    answer = client.put("/queue/messages/0f8fad5b-d9cb-469f-a165-70867728950e",
                        json={"visibility_timeout": 0})
    body = assert_error(answer, 422, "validation_error")
    assert body["fields"] == [{"field": "body.pop_receipt", "problem": "Field required"}]
    assert "body.pop_receipt" in body["detail"]


def test_delete_without_pop_receipt_is_422_naming_the_field(client):
    answer = client.delete("/queue/messages/0f8fad5b-d9cb-469f-a165-70867728950e")
    body = assert_error(answer, 422, "validation_error")
    assert [f["field"] for f in body["fields"]] == ["query.pop_receipt"]


@pytest.mark.parametrize("params, field", [
    ({"max_messages": 33}, "query.max_messages"),
    ({"max_messages": 0}, "query.max_messages"),
    ({"visibility_timeout": 0}, "query.visibility_timeout"),
])
def test_receive_out_of_range_is_422_naming_the_field(client, params, field):
    body = assert_error(client.get("/queue/messages", params=params), 422, "validation_error")
    assert [f["field"] for f in body["fields"]] == [field]


def test_peek_more_than_32_is_422(client):
    answer = client.get("/queue/messages/peek", params={"max_messages": 33})
    assert_error(answer, 422, "validation_error")


def test_send_that_is_not_an_object_is_422(client):
    body = assert_error(client.post("/queue/messages", json=[1, 2]), 422, "validation_error")
    assert [f["field"] for f in body["fields"]] == ["body"]


def test_send_whose_delay_outlives_its_ttl_is_422_naming_the_field(client):
    answer = client.post("/queue/messages", json={"a": 1},
                         params={"visibility_timeout": 10, "time_to_live": 5})
    body = assert_error(answer, 422, "validation_error")
    assert [f["field"] for f in body["fields"]] == ["query.visibility_timeout"]


def test_send_with_time_to_live_zero_is_422(client):
    answer = client.post("/queue/messages", json={"a": 1}, params={"time_to_live": 0})
    body = assert_error(answer, 422, "validation_error")
    assert [f["field"] for f in body["fields"]] == ["query.time_to_live"]


def test_a_queue_deleted_under_the_service_is_404_queue_not_found(client, sync_queue):
    sync_queue.delete_queue()
    for answer in (client.get("/queue"), client.post("/queue/messages", json={"a": 1}),
                   client.get("/queue/messages")):
        body = assert_error(answer, 404, "queue_not_found")
        assert body["service_error"] == "QueueNotFound"
    assert_error(client.get("/healthz"), 503, "queue_not_found")


def test_an_unreachable_storage_service_is_503_with_retry_after(lab):
    """Nothing listens on the port: the service still starts, and answers 503."""
    settings = QueueClientSettings(account_url=f"https://127.0.0.1:{free_port()}/{lab.account_name}",
                             queue_name="unreachable", retry_total=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.get("/queue")
        health = client.get("/healthz")
    assert_error(answer, 503, "storage_unavailable")
    assert answer.headers["retry-after"] == "5"
    assert_error(health, 503, "storage_unavailable")


def test_a_wrong_account_key_is_502_storage_auth_failed(lab, queue_name):
    wrong = AzureNamedKeyCredential(lab.account_name, base64.b64encode(b"0" * 64).decode())
    settings = QueueClientSettings(account_url=lab.account_url, queue_name=queue_name,
                             credential=wrong, retry_total=0)
    with TestClient(create_app(settings, create_queue=False),
                    raise_server_exceptions=False) as client:
        answer = client.get("/queue")
    body = assert_error(answer, 502, "storage_auth_failed")
    # Azurite answers InvalidAuthenticationInfo; Azure answers 403 AuthenticationFailed.
    assert body["service_error"] == "InvalidAuthenticationInfo"


def test_an_unknown_route_is_a_json_404(client):
    assert_error(client.get("/queue/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_a_json_405(client):
    assert_error(client.patch("/queue"), 405, "method_not_allowed")


ALLOWED = {
    "/queue": "GET, OPTIONS",
    "/queue/messages": "DELETE, GET, OPTIONS, POST",
    "/queue/messages/0f8fad5b-d9cb-469f-a165-70867728950e": "DELETE, OPTIONS, PUT",
    "/queue/messages/peek": "GET, OPTIONS",
    "/queue/messages/pop": "GET, OPTIONS",
}


@pytest.mark.parametrize("path", ALLOWED)
def test_options_answers_every_method_of_the_path(client, path):
    answer = client.options(path)
    assert (answer.status_code, answer.headers["allow"]) == (204, ALLOWED[path])


@pytest.mark.parametrize("path", ALLOWED)
def test_a_405_lists_every_method_of_the_path_in_allow(client, path):
    answer = client.patch(path, json={})
    assert_error(answer, 405, "method_not_allowed")
    assert answer.headers["allow"] == ALLOWED[path]


def test_an_unexpected_failure_is_a_json_500_without_stack_trace(client):
    class Broken:
        queue_name = "broken"

        async def get_queue_properties(self):
            raise RuntimeError("boom: internal detail")

    real, client.app.state.queue = client.app.state.queue, Broken()
    try:
        answer = client.get("/queue")
    finally:
        client.app.state.queue = real
    assert_error(answer, 500, "internal_error")
    assert "boom" not in answer.text


@pytest.mark.parametrize("exc, status, error", [
    (ServiceRequestError("connection refused"), 503, "storage_unavailable"),
    (HttpResponseError("busy"), 502, "storage_rejected"),
])
def test_from_storage_maps_transport_and_unknown_service_errors(exc, status, error):
    mapped = from_storage(exc)
    assert (mapped.status, mapped.error) == (status, error)


@pytest.mark.parametrize("status, code", [(400, "PopReceiptMismatch"), (404, "MessageNotFound")])
def test_a_pop_whose_lease_ran_out_before_its_delete_is_409_lease_lost(
        client, monkeypatch, status, code):
    class Taken:
        queue_name = "taken"

        async def delete_message(self, message_id, pop_receipt):
            error = HttpResponseError("the lease was lost")
            error.status_code, error.error_code = status, code
            raise error

    async def one_message(queue, count, visibility_timeout):
        return [type("Message", (), {"id": "id-1", "pop_receipt": "receipt"})()]

    monkeypatch.setattr(routes, "receive_page", one_message)
    real, client.app.state.queue = client.app.state.queue, Taken()
    try:
        answer = client.get("/queue/messages/pop")
    finally:
        client.app.state.queue = real
    body = assert_error(answer, 409, "lease_lost")
    assert body["service_error"] == code


@pytest.mark.parametrize("failure", [ServiceRequestError("connection refused"),
                                     ServiceResponseError("connection reset")])
def test_the_service_starts_while_storage_cannot_be_reached_or_does_not_answer(failure):
    """Both are 503 storage_unavailable for a request: neither may stop the start-up."""
    class Unreachable:
        queue_name = "unreachable"

        async def create_queue(self, **kwargs):
            raise failure

    asyncio.run(ensure_queue(Unreachable()))
    assert from_storage(failure).status == 503
