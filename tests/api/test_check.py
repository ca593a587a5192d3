"""labsupport.checks.api.check_safe_consumer: judges the order of what the consumer did."""

from __future__ import annotations

from labsupport.api.tracing import route_of
from labsupport.checks.api import ConsumerLog, check_safe_consumer

ORDERS = [{"order": n} for n in range(3)]


def logged(client) -> ConsumerLog:
    """Hook a ConsumerLog into the test client and send the three orders."""
    log = ConsumerLog()
    client.event_hooks = log.hooks
    for order in ORDERS:
        client.post("/queue/messages", json=order)
    log.clear()
    return log


def receive(client) -> list[dict]:
    return client.get("/queue/messages", params={"max_messages": 32}).json()


def delete(client, message) -> None:
    answer = client.delete(f"/queue/messages/{message['id']}",
                           params={"pop_receipt": message["pop_receipt"]})
    assert answer.status_code == 204, answer.text


def test_route_of_names_the_message_route_but_not_peek_or_pop():
    assert route_of("/queue/messages/abc-123") == "/queue/messages/{message_id}"
    assert route_of("/queue/messages/peek") == "/queue/messages/peek"
    assert route_of("/queue/messages/pop") == "/queue/messages/pop"


# --- accepted: process, then delete ----------------------------------------------------------

def test_the_solution_passes(client, capsys):
    log = logged(client)
    processed = log.processed
    while batch := receive(client):
        for message in batch:
            processed.append(message["content"])
            delete(client, message)
    result = check_safe_consumer(processed, client, log, expected=ORDERS)
    assert result, result.problems
    assert capsys.readouterr().out.startswith("✅ 3 orders processed")


def test_a_different_safe_consumer_passes_one_message_at_a_time_and_batch_acks(client):
    """Different shape, same order of effects: a whole batch processed, then acknowledged."""
    log = logged(client)
    processed = log.processed
    first = client.get("/queue/messages", params={"max_messages": 1}).json()
    processed += [m["content"] for m in first]
    for message in first:
        delete(client, message)
    rest = receive(client)
    processed.extend(m["content"] for m in rest)
    for message in rest:
        delete(client, message)
    assert check_safe_consumer(processed, client, log, expected=ORDERS)


# --- rejected --------------------------------------------------------------------------------

def test_delete_then_process_is_rejected_although_everything_ends_up_processed(client):
    log = logged(client)
    processed = log.processed
    while batch := receive(client):
        for message in batch:
            delete(client, message)                 # deleted first…
            processed.append(message["content"])    # …processed after: a crash loses it
    result = check_safe_consumer(processed, client, log, expected=ORDERS)
    assert result.problems == [
        "3 message(s) deleted before you processed them: a crash in between would lose them "
        "— append the content to `processed` first, then send the DELETE"]


def test_one_early_delete_among_safe_ones_is_counted(client):
    log = logged(client)
    processed = log.processed
    batch = receive(client)
    delete(client, batch[0])
    for message in batch:
        processed.append(message["content"])
    for message in batch[1:]:
        delete(client, message)
    assert check_safe_consumer(processed, client, log, expected=ORDERS).problems[0].startswith(
        "1 message(s) deleted before you processed them")


def test_using_pop_is_reported_even_though_the_queue_is_empty(client):
    log = logged(client)
    processed = log.processed
    for _ in ORDERS:
        processed.append(client.get("/queue/messages/pop").json()["content"])
    result = check_safe_consumer(processed, client, log, expected=ORDERS)
    assert len(result.problems) == 2
    assert result.problems[0].startswith("you used /queue/messages/pop")
    assert result.problems[1].startswith("0 message(s) deleted")


def test_not_done_yet_lists_nothing_processed_and_what_is_left(client, capsys):
    log = logged(client)
    result = check_safe_consumer(log.processed, client, log, expected=ORDERS)
    assert not result
    assert result.problems[0].startswith("nothing processed yet")
    assert result.problems[-1] == "3 message(s) still in the queue"
    assert "Not yet" in capsys.readouterr().out


def test_processing_without_deleting_is_reported(client):
    log = logged(client)
    log.processed.extend(m["content"] for m in receive(client))
    result = check_safe_consumer(log.processed, client, log, expected=ORDERS)
    assert result.problems == [
        "0 message(s) deleted with DELETE /queue/messages/{id}?pop_receipt=…; delete each one "
        "after processing it",
        "3 message(s) still in the queue",
    ]


def test_a_missing_order_and_an_order_processed_twice_are_reported(client):
    log = logged(client)
    log.processed.extend(ORDERS[:2])
    assert "processed 2 message(s), 1 of the 3 orders missing" in check_safe_consumer(
        log.processed, client, log, expected=ORDERS).problems[0]
    log.clear()
    log.processed.extend(ORDERS + ORDERS[:1])
    assert check_safe_consumer(log.processed, client, log, expected=ORDERS).problems[0] == (
        "processed 4 message(s) for 3 orders: some twice; append each message's content to "
        "`processed` once")


def test_a_new_processed_list_is_reported(client):
    log = logged(client)
    processed = []
    while batch := receive(client):
        for message in batch:
            processed.append(message["content"])
            delete(client, message)
    problems = check_safe_consumer(processed, client, log, expected=ORDERS).problems
    assert problems[0].startswith("`processed` is not the list the setup cell made")
