"""The service as a real process on loopback (``python -m labsupport api``), once per module:
every route over real HTTP, a load from a second process, graceful shutdown, no secret in
any answer or log line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from labsupport.api import start_service
from labsupport.redact import looks_secret

# About 830 requests: 8 producers send 500 messages while 4 consumers receive (about 20
# receives, batches of 0 to 32, as sends are still in flight) and delete about half; the test
# then counts what remains. 2000 messages repeated the same interleavings four times over
# (3,100 requests, ~7 s more CPU on 2 cores) and proved nothing these do not.
LOAD_MESSAGES = 500
LOAD_DEADLINE = 300  # seconds; the load client stops by itself by then


@pytest.fixture(scope="module")
def service(lab):
    queue_name = lab.new_queue_name("api-process")
    running = start_service(lab, queue_name, timeout=120)
    answers: list[httpx.Response] = []
    yield running, answers
    running.stop()
    from azure.storage.queue import QueueServiceClient

    QueueServiceClient(lab.account_url, credential=lab.credential).delete_queue(queue_name)


@pytest.fixture
def api(service):
    running, answers = service
    with httpx.Client(base_url=running.url, headers=running.headers, timeout=30.0,
                      event_hooks={"response": [answers.append]}) as client:
        yield client


def test_every_route_answers_over_real_http(api):
    assert api.get("/healthz").status_code == 200
    assert api.delete("/queue/messages").status_code == 204
    sent = api.post("/queue/messages", json={"order": 1})
    assert sent.status_code == 201
    assert api.get("/queue").json()["approximate_message_count"] == 1
    assert [m["content"] for m in api.get("/queue/messages/peek").json()] == [{"order": 1}]
    leased = api.get("/queue/messages", params={"visibility_timeout": 60}).json()
    assert [m["content"] for m in leased] == [{"order": 1}]
    updated = api.put(f"/queue/messages/{leased[0]['id']}", json={
        "pop_receipt": leased[0]["pop_receipt"], "content": {"order": 1, "paid": True},
        "visibility_timeout": 0})
    assert updated.status_code == 200
    stale = api.delete(f"/queue/messages/{leased[0]['id']}",
                       params={"pop_receipt": leased[0]["pop_receipt"]})
    assert (stale.status_code, stale.json()["error"]) == (404, "stale_pop_receipt")
    assert api.get("/queue/messages/pop").json()["content"] == {"order": 1, "paid": True}
    assert api.get("/queue/messages/pop").status_code == 204
    assert api.post("/queue/messages", json={"x": "y" * 70_000}).status_code == 413
    assert api.put("/queue/messages/x", json={"visibility_timeout": 0}).status_code == 422
    openapi = api.get("/openapi.json").json()
    assert "at least once" in openapi["info"]["description"]


def test_a_load_from_a_second_process_loses_no_message(service, api):
    running, _ = service
    assert api.delete("/queue/messages").status_code == 204
    script = Path(__file__).with_name("load_client.py")
    finished = subprocess.run(
        [sys.executable, str(script), running.url, "--messages", str(LOAD_MESSAGES),
         "--deadline", str(LOAD_DEADLINE), "--token-file", str(running.token_path)],
        capture_output=True, text=True, timeout=LOAD_DEADLINE + 60)
    assert finished.returncode == 0, finished.stderr[-2000:]
    stats = json.loads(finished.stdout)
    print(f"load: {stats['requests']} requests in {stats['seconds']} s "
          f"({stats['sent']} sent, {stats['received']} received and deleted)")
    assert stats["errors"] == [], stats["errors"][:5]
    assert not stats["timed_out"], "the load did not finish within its deadline"
    assert stats["sent"] == LOAD_MESSAGES

    remaining = []
    while batch := api.get("/queue/messages",
                           params={"max_messages": 32, "visibility_timeout": 300}).json():
        remaining += [m["content"]["n"] for m in batch]
    assert stats["sent"] == stats["received"] + len(remaining), "a message was lost"
    assert sorted(stats["received_ids"] + remaining) == sorted(stats["sent_ids"])
    api.delete("/queue/messages")


def test_no_secret_in_any_answer(service, lab, api):
    _, answers = service
    api.get("/openapi.json")
    assert answers, "the tests above made requests"
    key = lab.connection_string.split("AccountKey=")[1].split(";")[0]
    for answer in answers:
        text = answer.text + json.dumps(dict(answer.headers))
        assert key not in text, f"{answer.request.url.path} answered the account key"
        assert not looks_secret(text), f"{answer.request.url.path} answered a secret"


def test_shutdown_is_graceful_and_the_log_holds_no_secret(service, lab):
    running, _ = service
    running.stop()
    assert not running.running
    log = running.log_path.read_text(encoding="utf-8")
    assert "Application shutdown complete" in log, "the lifespan closed the queue client"
    assert '"GET /healthz HTTP/1.1" 200' in log, "the access log is on"
    key = lab.connection_string.split("AccountKey=")[1].split(";")[0]
    assert key not in log
    assert running.token not in log, "the service's bearer token reached its log"
    assert not looks_secret(log), "a key, SAS signature or token reached the service's log"
