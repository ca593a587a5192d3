"""The queue inspector: live against the local cloud, silent in test runs, never on the wire logs.

The widget runs without a frontend here (ipywidgets keeps its state in the kernel-less
process); the tests read what it would draw. Every wait is a condition with a deadline.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout, suppress
from pathlib import Path

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueServiceClient
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

import labsupport
from labsupport import wire
from labsupport.errors import ConfigError, LabError
from labsupport.inspector.live import STATIC_LINE, Inspector, live_mode, polling_client
from labsupport.inspector.model import Counts, Row
from labsupport.inspector.view import describe, render
from labsupport.patterns.leases import is_stale_lease
from labsupport.trace import Tracer
from labsupport.waits import wait_for

UNREACHABLE = "http://127.0.0.1:9/devstoreaccount1/nowhere"


@pytest.fixture
def watched(lab):
    """A queue of its own (the inspector's end is its deletion); deleted if still there."""
    service = QueueServiceClient(lab.account_url, credential=lab.credential)
    queue = service.create_queue(lab.new_queue_name("inspector"))
    yield queue
    with suppress(ResourceNotFoundError):       # most tests end by deleting it
        queue.delete_queue()


def state_of(inspector, label, queue=None):
    rows = [r for r in inspector.rows(queue) if r.label == label]
    return (rows[-1].state, rows[-1].actor) if rows else None


def until_state(inspector, label, state, actor=None, queue=None):
    return wait_for(lambda: state_of(inspector, label, queue) == (state, actor),
                    what=f"{label} {state} in the inspector (now {state_of(inspector, label)})")


# -- when it is live ----------------------------------------------------------------------

def test_tests_and_builds_are_static_and_the_override_wins():
    assert live_mode({"LAB_PROGRESS": "0"}) is False
    assert live_mode({"LAB_PROGRESS": "0", "LAB_INSPECTOR": "live"}) is True
    assert live_mode({"LAB_INSPECTOR": "static"}) is False
    assert live_mode({}) is False                 # no kernel here: no widget frontend either
    with pytest.raises(ConfigError, match="LAB_INSPECTOR='sometimes' is not a choice"):
        live_mode({"LAB_INSPECTOR": "sometimes"})


def test_a_static_inspector_prints_one_fixed_line_and_sends_nothing(monkeypatch):
    monkeypatch.setenv("LAB_PROGRESS", "0")
    monkeypatch.delenv("LAB_INSPECTOR", raising=False)
    nowhere = QueueClient.from_queue_url(UNREACHABLE, credential=AzureNamedKeyCredential(
        "devstoreaccount1", "a2V5"))                       # any request would fail
    printed = io.StringIO()
    with redirect_stdout(printed):
        inspector = labsupport.inspect(nowhere)
    assert printed.getvalue() == STATIC_LINE + "\n"
    assert not inspector.live and not inspector.running
    # The control: live, the same client is refused at once with a sentence.
    with pytest.raises(LabError, match="could not read the queue 'nowhere'"):
        Inspector([nowhere], live=True).start()


def test_only_queue_clients_are_accepted(service):
    with pytest.raises(TypeError, match="pass QueueClients .* not a QueueServiceClient"):
        Inspector([service], live=False)


def test_a_missing_queue_is_a_clear_error(lab):
    missing = QueueClient(lab.account_url, lab.new_queue_name("never-made"),
                          credential=lab.credential)
    with pytest.raises(LabError, match="does not exist \\(404 QueueNotFound\\): create it first"):
        Inspector([missing], live=True).start()


# -- the polling client -------------------------------------------------------------------

def test_the_polling_client_is_the_same_queue_and_credential_without_the_lessons_hooks(watched):
    tracer = Tracer()
    traced = tracer.client(watched, "consumer")
    poller = polling_client(traced)
    assert type(poller) is QueueClient
    assert (poller.url, poller.credential) == (traced.url, traced.credential)
    poller.peek_messages(max_messages=32)
    poller.get_queue_properties()
    assert tracer.exchanges == []                       # nothing reached the consumer's log
    traced.peek_messages(max_messages=1)
    assert [e.operation for e in tracer.exchanges] == ["peek"]          # the control


def test_an_aio_client_is_polled_by_a_sync_twin_unless_its_credential_is_async(lab, key):
    keyed = AsyncQueueClient(lab.account_url, "orders",
                             credential=AzureNamedKeyCredential(lab.account_name, key))
    twin = polling_client(keyed)
    assert type(twin) is QueueClient and twin.url == keyed.url
    signed_in = AsyncQueueClient(lab.account_url, "orders", credential=lab.async_credential())
    with pytest.raises(LabError, match="pass a sync QueueClient of the same queue"):
        polling_client(signed_in)


# -- live --------------------------------------------------------------------------------

def test_it_follows_a_message_through_send_lease_return_and_delete(watched):
    tracer = Tracer()
    producer = tracer.client(watched, "producer")
    consumer_1, consumer_2 = tracer.client(watched, "consumer-1"), tracer.client(watched,
                                                                                   "consumer-2")
    everything = []
    wire.add_listener(everything.append)
    inspector = Inspector([watched], live=True).start()
    try:
        producer.send_message("A")
        until_state(inspector, "A", "visible")
        first = consumer_1.receive_message(visibility_timeout=1)
        until_state(inspector, "A", "leased", "consumer-1")
        until_state(inspector, "A", "visible")                   # the lease ran out: peeked
        second = consumer_2.receive_message(visibility_timeout=30)
        until_state(inspector, "A", "leased", "consumer-2")
        with pytest.raises(HttpResponseError) as refused:
            consumer_1.delete_message(first)
        assert is_stale_lease(refused.value)
        assert state_of(inspector, "A") == ("leased", "consumer-2")
        consumer_2.delete_message(second)
        until_state(inspector, "A", "deleted", "consumer-2")
        wait_for(lambda: inspector.counts().total == 0, what="the count refreshed to 0")

        html = inspector.html
        assert 'data-message="A" data-state="deleted" data-actor="consumer-2"' in html
        assert "approximate total <b>0</b>" in html
    finally:
        wire.remove_listener(everything.append)
        inspector.stop()
    # The lesson's wire logs hold only the lesson's calls; the polls were never published.
    assert [e.operation for e in tracer.exchanges] == [
        "send", "receive", "receive", "delete", "delete"]
    assert {e.actor for e in everything} <= {"producer", "consumer-1", "consumer-2"}


def test_a_message_taken_by_an_untraced_client_is_hidden(watched):
    producer = Tracer().client(watched, "producer")
    inspector = Inspector([watched], live=True).start()
    try:
        producer.send_message("B")
        until_state(inspector, "B", "visible")
        watched.receive_message(visibility_timeout=30)    # `watched` is not traced
        until_state(inspector, "B", "hidden")
        assert inspector.counts().hidden == 1
    finally:
        inspector.stop()


def test_it_watches_the_poison_queue_beside_the_work_queue(lab, watched):
    poison = QueueServiceClient(lab.account_url, credential=lab.credential).create_queue(
        watched.queue_name + "-poison")
    tracer = Tracer()
    consumer = tracer.client(watched, "consumer")
    copier = tracer.client(poison, "consumer", send_as="copy to poison")
    tracer.client(watched, "producer").send_message("bad")
    inspector = Inspector([watched, poison], live=True).start()
    try:
        message = consumer.receive_message(visibility_timeout=30)
        copier.send_message(message.content, time_to_live=-1)
        consumer.delete_message(message)
        until_state(inspector, "bad", "moved to poison", "consumer")
        until_state(inspector, "bad", "visible", queue=poison.queue_name)
        assert inspector.html.count('class="qlab-queue"') == 2
    finally:
        inspector.stop()
        poison.delete_queue()


def test_it_stops_when_the_queue_is_deleted(watched):
    inspector = Inspector([watched], live=True).start()
    Tracer().client(watched, "producer").send_message("C")
    until_state(inspector, "C", "visible")
    watched.delete_queue()                                    # untraced: found by a refresh
    assert inspector.wait_stopped(timeout=15)
    assert inspector.status == "stopped: the queue was deleted"
    assert state_of(inspector, "C") == ("gone", None)
    assert 'data-status="stopped"' in inspector.html


def test_stop_button_and_a_newer_inspector_stop_it(watched):
    first = Inspector([watched], live=True).start()
    first._button.click()
    assert first.wait_stopped(timeout=15) and first.status == "stopped by you"
    assert first._button.disabled

    second = Inspector([watched], live=True).start()
    third = Inspector([watched], live=True).start()
    assert second.wait_stopped(timeout=15)
    assert second.status == "a newer inspector watches this queue" and third.running
    third.stop()


def test_it_works_with_the_account_key(lab, key, watched):
    keyed = QueueClient(lab.account_url, watched.queue_name,
                        credential=AzureNamedKeyCredential(lab.account_name, key))
    watched.send_message("D")
    inspector = Inspector([keyed], live=True).start()
    try:
        assert state_of(inspector, "D") == ("visible", None)
        assert inspector.counts().total == 1
    finally:
        inspector.stop()


# -- drawing ------------------------------------------------------------------------------

def test_the_view_escapes_text_and_says_where_each_state_comes_from():
    rows = [Row(queue="orders", message_id="m1", label="<b>A</b>", state="leased",
                source="wire", actor="consumer-1", dequeue_count=1, until=12.0, left=2.0,
                span=4.0),
            Row(queue="orders", message_id="m2", label="B", state="hidden", source="service")]
    text = render([(Counts("orders", visible=0, total=2, refreshed=10.0), rows)], now=10.0,
                  wall=0.0, status="running", interval=0.5, running=True)
    assert "<b>A</b>" not in text and "&lt;b&gt;A&lt;/b&gt;" in text
    assert "visible now <b>0</b> · hidden <b>2</b> · approximate total <b>2</b>" in text
    assert "width:50%" in text                                 # 2 of 4 seconds left
    for meaning in ("the service said so", "the lab&#x27;s recorded traffic",
                    "a time the service gave"):
        assert meaning in text
    assert describe(rows[1], 10.0, 0.0) == "hidden (no traced client holds it)"


# -- the notebooks ------------------------------------------------------------------------

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9]*.ipynb"))


def inspector_cells(path):
    notebook = json.loads(path.read_text())
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"
            and "labsupport.inspect(" in "".join(cell["source"])]


def test_notebooks_store_the_fixed_line_never_a_widget():
    used = {path.name[:2]: inspector_cells(path) for path in NOTEBOOKS}
    assert {"03", "04", "05"} <= {number for number, cells in used.items() if cells}
    for number, cells in used.items():
        for cell in cells:
            assert [(o["output_type"], "".join(o.get("text", ""))) for o in cell["outputs"]] == [
                ("stream", STATIC_LINE + "\n")], f"notebook {number}: re-run it with LAB_PROGRESS=0"


def test_the_throughput_lesson_never_watches_while_it_measures():
    assert not [path for path in NOTEBOOKS if path.name.startswith("10_")
                and inspector_cells(path)]
