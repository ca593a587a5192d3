"""The wire log: parsing what the service answered, counting and timing requests."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import LinearRetry, QueueClient
from offline_http import in_turn, scripted_transport

from labsupport.wire import (
    RequestCounter,
    WireLog,
    add_listener,
    classify,
    parse_messages,
    receiving,
    remove_listener,
    request_text,
)

FAKE_SAS = "sv=2026-02-06&sp=a&" + "sig=" + "c2ln"

LIST = (b"<?xml version='1.0' encoding='utf-8'?><QueueMessagesList><QueueMessage>"
        b"<MessageId>id-1</MessageId><InsertionTime>Fri, 09 Oct 2026 21:04:30 GMT</InsertionTime>"
        b"<ExpirationTime>Fri, 16 Oct 2026 21:04:30 GMT</ExpirationTime>"
        b"<PopReceipt>secret-receipt</PopReceipt>"
        b"<TimeNextVisible>Fri, 09 Oct 2026 21:05:00 GMT</TimeNextVisible>"
        b"<DequeueCount>3</DequeueCount><MessageText>a &amp; b</MessageText>"
        b"</QueueMessage></QueueMessagesList>")


def test_messages_are_read_from_the_response_xml_without_their_pop_receipts():
    (message,) = parse_messages(LIST)
    assert (message.id, message.text, message.dequeue_count) == ("id-1", "a & b", 3)
    assert message.next_visible_on.isoformat() == "2026-10-09T21:05:00+00:00"
    assert "secret-receipt" not in repr(message)
    assert parse_messages(b"") == () and parse_messages(b"<Error/>") == ()
    assert parse_messages(b"not xml") == ()


def test_the_text_of_a_send_is_unescaped():
    body = "<?xml version='1.0'?><QueueMessage><MessageText>&lt;x&gt; &amp;</MessageText>" \
           "</QueueMessage>"
    assert request_text(body) == "<x> &"
    assert request_text(None) is None


def test_requests_are_classified_by_method_and_path_after_the_queue():
    assert classify("POST", ["messages"], {}) == ("send", None)
    assert classify("GET", ["messages"], {}) == ("receive", None)
    assert classify("DELETE", ["messages"], {}) == ("clear", None)
    assert classify("PUT", ["messages", "m1"], {}) == ("update", "m1")
    assert classify("DELETE", ["messages", "m1"], {}) == ("delete", "m1")
    assert classify("PUT", [], {}) == ("create queue", None)
    assert classify("DELETE", [], {}) == ("delete queue", None)
    assert classify("GET", [], {"comp": "metadata"}) == ("properties", None)
    assert classify("PUT", [], {"comp": "acl"}) == ("set access policy", None)


def test_a_retried_request_is_recorded_once_per_attempt():
    transport, _ = scripted_transport(in_turn((503, b"", {"x-ms-error-code": "ServerBusy"}),
                                              (201, LIST, {"Content-Type": "application/xml"})))
    log = WireLog("producer", queue="orders")
    client = QueueClient("https://acct.queue.core.windows.net", "orders", credential=FAKE_SAS,
                         transport=transport,
                         retry_policy=LinearRetry(backoff=0, random_jitter_range=0), **log.hooks)
    client.send_message("a & b")
    assert [(e.operation, e.status, e.error_code) for e in log.exchanges] == [
        ("send", 503, "ServerBusy"), ("send", 201, "")]
    assert [e.request_text for e in log.exchanges] == ["a & b", "a & b"]
    assert all(e.sent <= e.answered for e in log.exchanges)


def test_a_receive_is_on_the_wire_from_its_request_until_every_listener_has_its_answer():
    seen = {}

    def answer(request):
        seen["while sent"] = (receiving("orders"), receiving("other"))
        if "peekonly=true" in request.url:
            return 200, LIST, {"Content-Type": "application/xml"}
        if request.method == "POST":
            return 201, LIST, {"Content-Type": "application/xml"}
        return 200, LIST, {"Content-Type": "application/xml"}

    def listener(exchange):
        seen.setdefault("listener", []).append((exchange.operation, receiving("orders")))

    transport, _ = scripted_transport(answer)
    log = WireLog("consumer-1", queue="orders")
    client = QueueClient("https://acct.queue.core.windows.net", "orders", credential=FAKE_SAS,
                         transport=transport, **log.hooks)
    add_listener(listener)
    try:
        client.receive_message(visibility_timeout=30)
        assert seen["while sent"] == (True, False), "a receive on orders, none on other"
        assert receiving("orders") is False, "answered and told: no longer on the wire"
        client.peek_messages()
        assert seen["while sent"] == (False, False), "a peek leases nothing"
        client.send_message("x")
        assert seen["while sent"] == (False, False), "nor does a send"
    finally:
        remove_listener(listener)
    assert seen["listener"] == [("receive", True), ("peek", False), ("send", False)], \
        "listeners hear of a receive before it leaves the list of receives on the wire"


def test_the_error_code_is_read_from_the_xml_when_the_header_is_missing():
    body = (b"<?xml version='1.0'?><Error><Code>QueueNotFound</Code>"
            b"<Message>The specified queue does not exist.</Message></Error>")
    answer = (404, body, {"Content-Type": "application/xml"})
    log = RequestCounter()
    client = QueueClient("https://acct.queue.core.windows.net", "orders", credential=FAKE_SAS,
                         transport=scripted_transport(in_turn(answer))[0],
                         raw_response_hook=log)
    with pytest.raises(ResourceNotFoundError):
        client.get_queue_properties()
    assert [(e.operation, e.status, e.error_code) for e in log.exchanges] == [
        ("properties", 404, "QueueNotFound")]


def test_requests_are_counted_by_method(queue):
    counter = RequestCounter()
    counted = QueueClient.from_queue_url(queue.url, credential=queue.credential,
                                         raw_response_hook=counter)
    counted.send_message("x")
    counted.peek_messages()
    assert (counter.total, dict(counter.by_method)) == (2, {"POST": 1, "GET": 1})
    assert repr(counter) == "2 request(s) (GET 1, POST 1)"
    counter.reset()
    assert repr(counter) == "0 request(s)"


def test_requests_in_flight_are_measured_from_send_and_answer_times():
    log = WireLog()

    def at(sent, answered, operation="delete"):
        from labsupport.wire import Exchange

        log.exchanges.append(Exchange(actor="", sent=sent, answered=answered, method="DELETE",
                                      path="/", query={}, queue="q", operation=operation,
                                      status=204))

    at(0, 10)
    at(1, 2)
    at(1.5, 3)
    at(5, 6, "receive")
    assert log.max_in_flight("delete") == 3
    assert log.max_in_flight("receive") == 1
    at(10, 11)           # starts as the first ends: not in flight together
    assert log.max_in_flight("delete") == 3


def test_listeners_see_every_exchange_and_cannot_break_a_call(queue):
    seen = []

    def broken(exchange):
        raise RuntimeError("an observer's bug")

    add_listener(seen.append)
    add_listener(broken)
    try:
        log = WireLog("watched")
        client = QueueClient.from_queue_url(queue.url, credential=queue.credential, **log.hooks)
        client.send_message("x")
    finally:
        remove_listener(seen.append)
        remove_listener(broken)
    assert [(e.actor, e.operation) for e in seen] == [("watched", "send")]
