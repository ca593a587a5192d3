"""What the service refuses before it calls storage: 422s that say what is wrong.

A message id becomes a segment of the storage URL: ``..`` there is a different request (with
an Entra token or a SAS, ``DELETE /queue/messages/%2e%2e`` cleared the whole queue). A body
must be JSON as RFC 8259 defines it (UTF-8, no NaN), and its text must be something XML 1.0
can carry, as the queue's REST API sends messages in XML.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from azure.identity.aio import DefaultAzureCredential
from azure.storage.queue import AccountSasPermissions, ResourceTypes, generate_account_sas

from labsupport.api import QueueClientSettings, create_app

from .conftest import TestClient
from .test_errors import assert_error, leased

GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
AZURE_POP_RECEIPT = "AgAAAAMAAAAAAAAAIWY/9Hl91QE="  # Azure's format, from a recorded response


def account_sas(lab) -> str:
    """An account SAS that may do everything to queues and messages, as a service might hold."""
    return generate_account_sas(
        lab.account_name, lab.account_key(),
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(read=True, write=True, delete=True, list=True,
                                         add=True, update=True, process=True),
        expiry=datetime.now(UTC) + timedelta(hours=1))


@pytest.fixture(params=["entra", "sas"])
def token_client(request, lab, queue_name):
    """The app with a credential whose requests are not signed over the URL path."""
    if request.param == "sas":
        credential, close = account_sas(lab), None
    else:
        credential = DefaultAzureCredential()  # the local cloud's identity endpoint
        close = credential.close
    with TestClient(create_app(QueueClientSettings(lab.account_url, queue_name, credential)),
                    raise_server_exceptions=False) as client:
        yield client
    if close:
        asyncio.run(close())


@pytest.mark.parametrize("message_id", ["%2e%2e", "%2E%2E", "%2e", "not-a-guid", GUID + "0"])
def test_a_message_id_that_is_not_a_guid_never_reaches_storage(token_client, message_id):
    for n in range(3):
        assert token_client.post("/queue/messages", json={"n": n}).status_code == 201
    answers = [
        token_client.delete(f"/queue/messages/{message_id}", params={"pop_receipt": "anything"}),
        token_client.put(f"/queue/messages/{message_id}",
                         json={"pop_receipt": AZURE_POP_RECEIPT, "visibility_timeout": 0}),
    ]
    for answer in answers:
        body = assert_error(answer, 422, "validation_error")
        assert body["fields"][0]["field"] == "path.message_id"
        assert "a GUID" in body["fields"][0]["problem"]
    peeked = token_client.get("/queue/messages/peek", params={"max_messages": 32}).json()
    assert len(peeked) == 3, "no message may be lost to a malformed id"


@pytest.mark.parametrize("path, status, error", [
    ("/queue/messages/.", 422, "validation_error"),  # httpx sends DELETE /queue/messages
    ("/queue/messages/", 404, "not_found"),  # not redirected to /queue/messages
])
def test_a_delete_whose_id_vanished_from_the_url_does_not_clear_the_queue(
        token_client, path, status, error):
    """An id of ``.`` disappears in the client (RFC 3986 removes dot segments): what
    arrives is the clear route, with a pop receipt that only a message delete carries."""
    for n in range(3):
        assert token_client.post("/queue/messages", json={"n": n}).status_code == 201
    answer = token_client.delete(path, params={"pop_receipt": AZURE_POP_RECEIPT})
    assert_error(answer, status, error)
    assert len(token_client.get("/queue/messages/peek", params={"max_messages": 32}).json()) == 3
    assert token_client.delete("/queue/messages").status_code == 204  # the control
    assert token_client.get("/queue/messages/peek").json() == []


def test_a_guid_that_names_no_message_does_reach_storage(token_client):
    """The control: a well-formed id goes through, and storage answers for it."""
    message = leased(token_client)
    answer = token_client.delete(f"/queue/messages/{uuid.uuid4()}",
                                 params={"pop_receipt": message["pop_receipt"]})
    assert_error(answer, 404, "stale_pop_receipt")


@pytest.mark.parametrize("receipt", ["anything!", "AgAAAAMAAAAAAAAAIWY/9Hl91QE", "ab=c",
                                     "a" * 300 + "==", "AgAA\u00e9AAA"])
def test_a_pop_receipt_that_is_not_base64_is_422(client, receipt):
    body = assert_error(client.delete(f"/queue/messages/{GUID}", params={"pop_receipt": receipt}),
                        422, "validation_error")
    assert [f["field"] for f in body["fields"]] == ["query.pop_receipt"]
    assert "base64" in body["fields"][0]["problem"]
    body = assert_error(client.put(f"/queue/messages/{GUID}",
                                   json={"pop_receipt": receipt, "visibility_timeout": 0}),
                        422, "validation_error")
    assert [f["field"] for f in body["fields"]] == ["body.pop_receipt"]


@pytest.mark.parametrize("receipt", [AZURE_POP_RECEIPT, "MjlOb3YyMDI2MTQ6MTI6MjMyMWFj"])
def test_pop_receipts_in_azures_and_azurites_formats_pass_validation(client, receipt):
    """Both reach storage, which answers that no message holds them (404, not 422)."""
    answer = client.delete(f"/queue/messages/{GUID}", params={"pop_receipt": receipt})
    assert_error(answer, 404, "stale_pop_receipt")


@pytest.mark.parametrize("text, named", [
    ("x\ufffe", "U+FFFE at position 1"),
    ("\uffffa\uffff", "U+FFFF at position 0 and U+FFFF at position 2"),
])
def test_a_message_with_characters_xml_cannot_carry_is_422_naming_them(client, sync_queue,
                                                                      text, named):
    answer = client.post("/queue/messages", json={"order": 1, "note": text})
    body = assert_error(answer, 422, "validation_error")
    assert body["fields"] == [{"field": "body.note", "problem": body["fields"][0]["problem"]}]
    assert body["fields"][0]["problem"].startswith(f"{named} cannot travel in a queue message")
    assert sync_queue.peek_messages() == []


def test_characters_xml_cannot_carry_are_found_in_keys_lists_and_updates(client):
    answer = client.post("/queue/messages", json={"items": ["ok", {"k\uffff": 1}]})
    body = assert_error(answer, 422, "validation_error")
    assert body["fields"][0]["field"] == "body.items.1"
    assert body["fields"][0]["problem"].startswith(
        "a key holds U+FFFF at position 1, which cannot travel in a queue message")
    message = leased(client)
    answer = client.put(f"/queue/messages/{message['id']}", json={
        "pop_receipt": message["pop_receipt"], "content": {"note": "\ufffe"},
        "visibility_timeout": 0})
    body = assert_error(answer, 422, "validation_error")
    assert body["fields"][0]["field"] == "body.content.note"


def test_a_lone_surrogate_is_422_not_a_storage_error(client):
    answer = client.post("/queue/messages", content=b'{"note": "\\ud800"}',
                         headers={"content-type": "application/json"})
    body = assert_error(answer, 422, "validation_error")
    assert body["fields"][0]["problem"].startswith("U+D800 at position 0 ")


def test_control_characters_are_fine_as_json_escapes_them(client, sync_queue):
    """The control: JSON writes U+0007 as \\u0007, which XML carries; the text round-trips."""
    assert client.post("/queue/messages", json={"bell": "\x07"}).status_code == 201
    assert sync_queue.peek_messages()[0].content == '{"bell":"\\u0007"}'
    assert client.get("/queue/messages/peek").json()[0]["content"] == {"bell": "\x07"}


def test_a_body_that_is_not_utf8_is_422_naming_the_byte(client):
    answer = client.post("/queue/messages", content=b'{"a": "caf\xe9"}',
                         headers={"content-type": "application/json"})
    body = assert_error(answer, 422, "validation_error")
    assert body["fields"] == [{"field": "body", "problem": (
        "not UTF-8 text: byte 0xE9 at position 10 (JSON must be UTF-8)")}]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_422_not_stored_as_null(client, sync_queue, constant):
    answer = client.post("/queue/messages", content=f'{{"a": {constant}}}'.encode(),
                         headers={"content-type": "application/json"})
    body = assert_error(answer, 422, "validation_error")
    assert body["fields"] == [{"field": "body", "problem": (
        f"{constant} is not a JSON number (RFC 8259 has no NaN or Infinity): send a number, "
        f"a string or null")}]
    assert sync_queue.peek_messages() == []


def test_malformed_json_names_line_and_column(client):
    answer = client.post("/queue/messages", content=b'{"a": 1,\n "b": }',
                         headers={"content-type": "application/json"})
    body = assert_error(answer, 422, "validation_error")
    assert body["fields"] == [{"field": "body",
                               "problem": "not valid JSON: Expecting value at line 2, column 7"}]


def test_a_utf8_body_with_a_byte_order_mark_is_accepted(client, sync_queue):
    answer = client.post("/queue/messages", content='\ufeff{"a": "é"}'.encode(),
                         headers={"content-type": "application/json"})
    assert answer.status_code == 201, answer.text
    assert sync_queue.peek_messages()[0].content == '{"a":"é"}'


@pytest.mark.parametrize("ttl", [0, -2, 2**31])
def test_time_to_live_must_be_minus_one_or_at_least_one(client, ttl):
    body = assert_error(client.post("/queue/messages", json={"a": 1},
                                    params={"time_to_live": ttl}), 422, "validation_error")
    assert body["fields"] == [{"field": "query.time_to_live", "problem": (
        "must be -1 (never expires) or from 1 to 2147483647 seconds")}]


def test_the_openapi_schema_of_time_to_live_says_the_same_as_the_rule(client):
    operation = client.get("/openapi.json").json()["paths"]["/queue/messages"]["post"]
    schema = next(p for p in operation["parameters"] if p["name"] == "time_to_live")["schema"]
    assert schema["anyOf"][:2] == [{"type": "integer", "const": -1},
                                   {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}]


def test_the_openapi_says_ids_are_guids_and_receipts_base64(client):
    operation = client.get("/openapi.json").json()["paths"]["/queue/messages/{message_id}"]
    parameters = {p["name"]: p for p in operation["delete"]["parameters"]}
    assert parameters["message_id"]["schema"]["format"] == "uuid"
    assert parameters["pop_receipt"]["schema"]["format"] == "byte"
    assert "base64" in parameters["pop_receipt"]["description"]
