"""Lesson 09's in-notebook service answers like labsupport.api, the full service.

The cells tagged ``service-errors`` and ``service-app`` are read with nbformat and run
here, untouched, with the notebook's own imports. Both apps run in-process (FastAPI's
``TestClient``) on fresh queues of the local cloud and get the same requests: send,
receive and delete (also a message that is not JSON); a delete with a pop receipt that no
longer holds the message (the message was updated since: Azurite answers 400
PopReceiptMismatch; or it was deleted: 404 MessageNotFound — which is also what Microsoft's
Delete Message reference documents for a stale receipt, so this input stands for Azure's
documented answer); a queue
deleted behind the service; a message over 64 KiB. Status, ``error``, ``service_error``
and the body's fields must agree.
"""

from __future__ import annotations

import ast
import contextlib
import warnings
from pathlib import Path

import nbformat
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.queue import QueueServiceClient

from labsupport.api import QueueClientSettings, create_app
from labsupport.api.errors import from_storage

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.10 asks for httpx2 (see conftest.py)
    from fastapi.testclient import TestClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "09_queue_api_service.ipynb"


def _storage_error(status: int, code: str) -> HttpResponseError:
    error = HttpResponseError(message=code)
    error.status_code, error.error_code = status, code
    return error


#: labsupport.api before the harden-api change of issue 13: MessageNotFound -> message_not_found.
API_ANSWERS_STALE_TWO_WAYS = (from_storage(_storage_error(404, "MessageNotFound")).error
                              != from_storage(_storage_error(400, "PopReceiptMismatch")).error)
pending_api_change = pytest.mark.xfail(
    API_ANSWERS_STALE_TWO_WAYS, strict=True,
    reason="labsupport.api still maps 404 MessageNotFound to message_not_found; the harden-api "
           "branch gives a stale pop receipt one answer on both backends (issue 13)")


def notebook_service() -> dict:
    """The notebook's definitions, run with the notebook's top-level imports only."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    setup = next(c for c in cells if c.cell_type == "code")
    body = [n for n in ast.parse(setup.source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    for tag in ("service-errors", "service-app"):
        [cell] = [c for c in cells if tag in c.metadata.get("tags", [])]
        body += [n for n in ast.parse(cell.source).body
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign))]
    namespace: dict = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), "09-service", "exec"), namespace)
    return namespace


@pytest.fixture
def apps(lab):
    """Both services in-process, each on its own fresh queue: {"notebook": …, "api": …}."""
    names = {"notebook": lab.new_queue_name("api-notebook"), "api": lab.new_queue_name("api-full")}
    service = notebook_service()
    builders = {
        "notebook": lambda: service["build_app"](lab.account_url, names["notebook"]),
        "api": lambda: create_app(QueueClientSettings.from_lab(lab, names["api"])),
    }
    with contextlib.ExitStack() as stack:
        clients = {kind: stack.enter_context(TestClient(build(), raise_server_exceptions=False))
                   for kind, build in builders.items()}
        queues = QueueServiceClient(lab.account_url, credential=lab.credential)
        for kind, client in clients.items():
            client.queue = queues.get_queue_client(names[kind])
        yield clients
    for name in names.values():
        with contextlib.suppress(ResourceNotFoundError):
            queues.delete_queue(name)


def answer(response) -> tuple:
    """What a client can act on: status, error, storage's code, the body's fields."""
    body = response.json()
    return (response.status_code, body.get("error"), body.get("service_error"), sorted(body))


def lease(client) -> dict:
    assert client.post("/queue/messages", json={"order": 1}).status_code == 201
    [message] = client.get("/queue/messages", params={"max_messages": 1}).json()
    return message


def delete(client, message, pop_receipt=None):
    return client.delete(f"/queue/messages/{message['id']}",
                         params={"pop_receipt": pop_receipt or message["pop_receipt"]})


def test_the_consumer_routes_agree_on_statuses_and_fields(apps):
    seen = {}
    for kind, client in apps.items():
        sent = client.post("/queue/messages", json={"order": 1, "item": "book"})
        received = client.get("/queue/messages", params={"max_messages": 32})
        [message] = received.json()
        deleted = delete(client, message)
        empty = client.get("/queue/messages", params={"max_messages": 32})
        seen[kind] = (sent.status_code, received.status_code, deleted.status_code, deleted.text,
                      empty.json(), set(sent.json()), message)
    notebook, api = seen["notebook"], seen["api"]
    assert notebook[:5] == api[:5] == (201, 200, 204, "", [])
    assert notebook[5] <= api[5], "the notebook's send answer has only fields the API has"
    assert set(notebook[6]) <= set(api[6])
    assert {k: notebook[6][k] for k in ("content", "dequeue_count")} == {
        k: api[6][k] for k in ("content", "dequeue_count")} == {
        "content": {"order": 1, "item": "book"}, "dequeue_count": 1}


def test_a_message_that_is_not_json_is_received_as_its_text(apps):
    """Another producer may share the queue: its text is passed on, not answered with 500."""
    received = {}
    for kind, client in apps.items():
        client.queue.send_message("plain text, not JSON")
        answer_ = client.get("/queue/messages")
        received[kind] = (answer_.status_code, [m["content"] for m in answer_.json()])
    assert received["notebook"] == received["api"] == (200, ["plain text, not JSON"])


STALE = (404, "stale_pop_receipt")


def test_a_receipt_made_stale_by_an_update_gets_the_same_answer(apps):
    """The message still exists: Azurite answers 400 PopReceiptMismatch (Azure documents 404;
    its error-code list also has 400 PopReceiptMismatch)."""
    answers = {}
    for kind, client in apps.items():
        message = lease(client)
        client.queue.update_message(message["id"], message["pop_receipt"], visibility_timeout=60)
        answers[kind] = answer(delete(client, message))
    assert answers["notebook"] == answers["api"]
    assert answers["notebook"][:3] == (*STALE, "PopReceiptMismatch")


@pending_api_change
def test_a_receipt_whose_message_is_gone_gets_the_same_answer_as_azures_stale_receipt(apps):
    """404 MessageNotFound: Azurite's answer once the message is gone, and the answer
    Microsoft documents for a stale receipt. The service cannot tell them apart, so it
    answers as for any stale receipt — the same status and error as for PopReceiptMismatch."""
    answers = {}
    for kind, client in apps.items():
        message = lease(client)
        assert delete(client, message).status_code == 204
        answers[kind] = answer(delete(client, message))
    assert answers["notebook"][:3] == (*STALE, "MessageNotFound")
    assert answers["api"] == answers["notebook"]


def test_the_notebook_answers_a_stale_receipt_one_way_on_both_backends():
    """Independent of labsupport.api: both storage codes for a stale receipt map alike."""
    service = notebook_service()
    mapping = service["STORAGE_ERRORS"]
    assert mapping["PopReceiptMismatch"][:2] == mapping["MessageNotFound"][:2] == STALE


def test_a_queue_deleted_behind_the_service_gets_the_same_answer(apps):
    answers = {}
    for kind, client in apps.items():
        client.queue.delete_queue()
        answers[kind] = (answer(client.post("/queue/messages", json={"order": 1})),
                         answer(client.get("/queue/messages")))
    assert answers["notebook"] == answers["api"]
    assert {a[:3] for a in answers["notebook"]} == {(404, "queue_not_found", "QueueNotFound")}


def test_a_message_over_64_kib_gets_the_same_answer(apps):
    answers = {kind: answer(client.post("/queue/messages", json={"blob": "x" * 70_000}))
               for kind, client in apps.items()}
    assert answers["notebook"] == answers["api"]
    assert answers["notebook"][:3] == (413, "message_too_large", "RequestBodyTooLarge")
