"""check_idempotent_consumer (07): rejects each kind of non-idempotent consumer, accepts
the solution and a different correct one."""

from __future__ import annotations

import json

from labsupport.checks.duplicates import check_idempotent_consumer
from labsupport.patterns.idempotent import DedupStore


def order_of(message) -> str:
    return json.loads(message.content)["order_id"]


def test_the_notebook_solution_passes_and_the_check_can_run_again(queue, capsys):
    parcels, store = [], DedupStore()

    def handle(message):
        order_id = order_of(message)
        store.process_once(order_id, lambda db: parcels.append(order_id))

    assert check_idempotent_consumer(handle, parcels, queue)
    assert capsys.readouterr().out == (
        "✅ each order shipped exactly once, despite 2 duplicate deliveries "
        "(4 deliveries of 2 orders).\n")
    assert len(parcels) == 2
    assert check_idempotent_consumer(handle, parcels, queue)
    assert len(parcels) == 4  # two new orders the second time
    assert queue.get_queue_properties().approximate_message_count == 0


def test_a_different_correct_consumer_passes(queue, tmp_path):
    """A file-backed store, a namespaced key and the effect's own writes in the store's
    transaction: a different solution, equally idempotent."""
    parcels = []
    with DedupStore(tmp_path / "orders.db") as store:
        store.db.execute("CREATE TABLE shipped (order_id TEXT)")

        def ship(db, order_id):
            db.execute("INSERT INTO shipped VALUES (?)", (order_id,))
            parcels.append(order_id)

        def handle(message):
            order = json.loads(message.content)
            store.process_once(f"ship/{order['order_id']}", lambda db: ship(db, order["order_id"]))

        assert check_idempotent_consumer(handle, parcels, queue)
        assert store.db.execute("SELECT COUNT(*) FROM shipped").fetchone()[0] == 2


def test_a_consumer_that_remembers_nothing_ships_both_duplicates(queue):
    parcels = []
    result = check_idempotent_consumer(lambda m: parcels.append(order_of(m)), parcels, queue)
    assert [p.split(":")[0] for p in result.problems] == [
        "the order sent twice by the producer was shipped 2 times",
        "the order redelivered after a crash was shipped 2 times"]


def test_remembering_message_ids_misses_the_producer_retry(queue):
    parcels, seen = [], set()

    def handle(message):
        if message.id not in seen:
            seen.add(message.id)
            parcels.append(order_of(message))

    assert check_idempotent_consumer(handle, parcels, queue).problems == [
        "the order sent twice by the producer was shipped 2 times: its two messages have "
        "different ids and different texts (attempt 1 and 2), so remember the order id, not "
        "the message id or text"]


def test_remembering_message_texts_misses_the_producer_retry(queue):
    """Deduplicating on the text works only while a retry is byte-for-byte the same."""
    parcels, store = [], DedupStore()

    def handle(message):
        store.process_once(message.content, lambda db: parcels.append(order_of(message)))

    problems = check_idempotent_consumer(handle, parcels, queue).problems
    assert [p.split(":")[0] for p in problems] == [
        "the order sent twice by the producer was shipped 2 times"]


def test_skipping_redeliveries_by_dequeue_count_misses_the_producer_retry(queue):
    parcels = []

    def handle(message):
        if message.dequeue_count == 1:
            parcels.append(order_of(message))

    problems = check_idempotent_consumer(handle, parcels, queue).problems
    assert [p.split(":")[0] for p in problems] == [
        "the order sent twice by the producer was shipped 2 times"]


def test_a_consumer_that_ships_nothing_or_raises_is_told_so_and_the_queue_is_left_empty(queue):
    assert [p.split(":")[0] for p in check_idempotent_consumer(lambda m: None, [], queue).problems
            ] == ["the order sent twice by the producer was never shipped",
                  "the order redelivered after a crash was never shipped"]

    def broken(message):
        raise KeyError("order")

    assert check_idempotent_consumer(broken, [], queue).problems == [
        "your code raised KeyError: 'order'"]
    assert queue.peek_messages(max_messages=32) == []
