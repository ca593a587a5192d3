"""labsupport.checks.api.check_safe_consumer: says what is still wrong, passes the solution."""

from __future__ import annotations

from labsupport.api.tracing import HttpLog, route_of
from labsupport.checks.api import check_safe_consumer

ORDERS = [{"order": n} for n in range(3)]


def logged(client):
    log = HttpLog()
    client.event_hooks = {"request": [], "response": [log]}
    for order in ORDERS:
        client.post("/queue/messages", json=order)
    log.clear()
    return log


def test_route_of_names_the_message_route_but_not_peek_or_pop():
    assert route_of("/queue/messages/abc-123") == "/queue/messages/{message_id}"
    assert route_of("/queue/messages/peek") == "/queue/messages/peek"
    assert route_of("/queue/messages/pop") == "/queue/messages/pop"


def test_not_done_yet_lists_nothing_processed_and_what_is_left(client, capsys):
    log = logged(client)
    result = check_safe_consumer([], client, log, expected=ORDERS)
    assert not result
    assert result.problems[0].startswith("nothing processed yet")
    assert result.problems[-1] == "3 message(s) still in the queue"
    assert "Not yet" in capsys.readouterr().out


def test_processing_without_deleting_is_reported(client):
    log = logged(client)
    batch = client.get("/queue/messages", params={"max_messages": 32}).json()
    result = check_safe_consumer([m["content"] for m in batch], client, log, expected=ORDERS)
    assert result.problems == [
        "0 message(s) deleted with DELETE /queue/messages/{id}?pop_receipt=…; delete each one "
        "after processing it",
        "3 message(s) still in the queue",
    ]


def test_using_pop_is_reported_even_though_the_queue_is_empty(client):
    log = logged(client)
    processed = [client.get("/queue/messages/pop").json()["content"] for _ in ORDERS]
    result = check_safe_consumer(processed, client, log, expected=ORDERS)
    assert len(result.problems) == 2
    assert result.problems[0].startswith("you used /queue/messages/pop")
    assert result.problems[1].startswith("0 message(s) deleted")


def test_a_missing_order_is_reported(client):
    log = logged(client)
    result = check_safe_consumer(ORDERS[:2], client, log, expected=ORDERS)
    assert "processed 2 message(s), 1 of the 3 orders missing" in result.problems[0]


def test_the_solution_passes(client, capsys):
    log = logged(client)
    processed = []
    while batch := client.get("/queue/messages", params={"max_messages": 32}).json():
        for message in batch:
            processed.append(message["content"])
            client.delete(f"/queue/messages/{message['id']}",
                          params={"pop_receipt": message["pop_receipt"]})
    result = check_safe_consumer(processed, client, log, expected=ORDERS)
    assert result, result.problems
    assert capsys.readouterr().out.startswith("✅ 3 orders processed")


def test_an_order_processed_twice_is_reported_as_such(client):
    log = logged(client)
    result = check_safe_consumer(ORDERS + ORDERS[:1], client, log, expected=ORDERS)
    assert result.problems[0] == ("processed 4 message(s) for 3 orders: some twice; append "
                                  "each message's content to `processed` once")
