"""check_idempotent_consumer (07): rejects each kind of non-idempotent consumer — among them
"record, then ship outside the transaction", which a check without a failure halfway
accepted — and accepts the notebook's solution and two differently written right ones."""

from __future__ import annotations

import json
import sqlite3

import pytest

from labsupport.checks.duplicates import check_idempotent_consumer

SCHEMA = """
CREATE TABLE processed (order_id TEXT PRIMARY KEY);
CREATE TABLE parcels (order_id TEXT, item TEXT);
"""


def pack(db, order):
    for item in order["items"]:
        db.execute("INSERT INTO parcels VALUES (?, ?)", (order["order_id"], item))


@pytest.fixture
def warehouse():
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(SCHEMA)
    yield db
    db.close()


def heads(result) -> list[str]:
    return [p.split(":")[0] for p in result.problems]


def check_queue_exists(service, queue) -> bool:
    return any(q.name == f"{queue.queue_name}-check" for q in service.list_queues())


def test_the_notebook_solution_passes_and_the_check_can_run_again(warehouse, queue, service,
                                                                   capsys):
    def handle(message):
        order = json.loads(message.content)
        warehouse.execute("BEGIN IMMEDIATE")
        try:
            seen = warehouse.execute("SELECT 1 FROM processed WHERE order_id = ?",
                                     (order["order_id"],)).fetchone()
            if not seen:
                pack(warehouse, order)
                warehouse.execute("INSERT INTO processed VALUES (?)", (order["order_id"],))
            warehouse.execute("COMMIT")
        except BaseException:
            warehouse.execute("ROLLBACK")
            raise

    assert check_idempotent_consumer(handle, warehouse, queue)
    assert capsys.readouterr().out == (
        "✅ each order packed exactly once and completely, despite 3 repeated deliveries and "
        "a failure halfway (6 deliveries of 3 orders).\n")
    assert warehouse.execute("SELECT COUNT(*) FROM parcels").fetchone() == (6,)
    assert check_idempotent_consumer(handle, warehouse, queue)
    assert warehouse.execute("SELECT COUNT(*) FROM parcels").fetchone() == (12,)
    # the check worked beside the notebook's queue, not in it, and left nothing behind
    assert queue.peek_messages(max_messages=32) == []
    assert not check_queue_exists(service, queue)
    assert warehouse.execute("SELECT name FROM sqlite_temp_master").fetchall() == []


def test_a_savepoint_that_records_first_passes_too(warehouse, queue):
    """INSERT OR IGNORE decides, inside a savepoint: the record comes first, but it commits
    only with the packing — a different order of statements, equally right."""
    def handle(message):
        order = json.loads(message.content)
        warehouse.execute("SAVEPOINT one_order")
        try:
            if warehouse.execute("INSERT OR IGNORE INTO processed VALUES (?)",
                                 (order["order_id"],)).rowcount:
                pack(warehouse, order)
            warehouse.execute("RELEASE one_order")
        except Exception:
            warehouse.execute("ROLLBACK TO one_order")
            warehouse.execute("RELEASE one_order")
            raise

    assert check_idempotent_consumer(handle, warehouse, queue)


def test_pythons_own_transactions_pass_too(queue, tmp_path):
    """A file database in sqlite3's default mode, with ``with db:`` committing or rolling
    back: the module opens the transaction at the first write."""
    db = sqlite3.connect(tmp_path / "warehouse.db")
    db.executescript(SCHEMA)

    def handle(message):
        order = json.loads(message.content)
        with db:
            if db.execute("SELECT 1 FROM processed WHERE order_id = ?",
                          (order["order_id"],)).fetchone() is None:
                pack(db, order)
                db.execute("INSERT INTO processed VALUES (?)", (order["order_id"],))

    assert check_idempotent_consumer(handle, db, queue)
    db.close()


def test_record_then_ship_outside_the_transaction_loses_the_half_packed_order(warehouse, queue):
    def handle(message):
        order = json.loads(message.content)
        warehouse.execute("BEGIN")
        new = warehouse.execute("INSERT OR IGNORE INTO processed VALUES (?)",
                                (order["order_id"],)).rowcount
        warehouse.execute("COMMIT")              # recorded …
        if new:
            pack(warehouse, order)               # … then shipped, outside the transaction

    result = check_idempotent_consumer(handle, warehouse, queue)
    assert heads(result) == ["the order that failed halfway is incomplete (1 of its 2 items "
                             "packed)"]
    assert "record it in the same transaction as the packing" in result.problems[0]


def test_ship_then_record_in_a_separate_step_packs_the_first_item_twice(warehouse, queue):
    def handle(message):
        order = json.loads(message.content)
        if warehouse.execute("SELECT 1 FROM processed WHERE order_id = ?",
                             (order["order_id"],)).fetchone():
            return
        pack(warehouse, order)
        warehouse.execute("INSERT INTO processed VALUES (?)", (order["order_id"],))

    assert heads(check_idempotent_consumer(handle, warehouse, queue)) == [
        "the order that failed halfway was packed 2 times"]


def test_a_consumer_that_remembers_nothing_packs_every_duplicate(warehouse, queue):
    result = check_idempotent_consumer(lambda m: pack(warehouse, json.loads(m.content)),
                                       warehouse, queue)
    assert heads(result) == [
        "the order sent twice by the producer was packed 2 times",
        "the order redelivered after a crash was packed 2 times",
        "the order that failed halfway was packed 2 times"]


def test_remembering_message_ids_misses_the_producer_retry(warehouse, queue):
    """In one transaction with the packing, but keyed on the message id."""
    def handle(message):
        warehouse.execute("BEGIN")
        try:
            if warehouse.execute("INSERT OR IGNORE INTO processed VALUES (?)",
                                 (message.id,)).rowcount:
                pack(warehouse, json.loads(message.content))
            warehouse.execute("COMMIT")
        except Exception:
            warehouse.execute("ROLLBACK")
            raise

    assert check_idempotent_consumer(handle, warehouse, queue).problems == [
        "the order sent twice by the producer was packed 2 times: its two messages have "
        "different ids and different texts (attempt 1 and 2), so remember the order id, not "
        "the message id or text"]


def test_swallowing_the_failure_loses_the_order(warehouse, queue):
    def handle(message):
        order = json.loads(message.content)
        warehouse.execute("BEGIN")
        try:
            if warehouse.execute("INSERT OR IGNORE INTO processed VALUES (?)",
                                 (order["order_id"],)).rowcount:
                pack(warehouse, order)
            warehouse.execute("COMMIT")
        except Exception:
            warehouse.execute("ROLLBACK")         # … and the message is deleted as done

    assert heads(check_idempotent_consumer(handle, warehouse, queue)) == [
        "the order that failed halfway was never packed"]


def test_a_transaction_left_open_is_named(warehouse, queue):
    def handle(message):
        order = json.loads(message.content)
        warehouse.execute("BEGIN")
        if warehouse.execute("SELECT 1 FROM processed WHERE order_id = ?",
                             (order["order_id"],)).fetchone():
            return                               # forgot the COMMIT here
        pack(warehouse, order)
        warehouse.execute("INSERT INTO processed VALUES (?)", (order["order_id"],))
        warehouse.execute("COMMIT")

    problems = check_idempotent_consumer(handle, warehouse, queue).problems
    assert problems[0].startswith("your code raised OperationalError: cannot start a "
                                  "transaction within a transaction")
    assert problems[1].startswith("your code left a transaction open")
    assert not warehouse.in_transaction


def test_code_that_raises_is_told_so_and_nothing_is_left_behind(warehouse, queue, service):
    def broken(message):
        raise KeyError("order")

    assert check_idempotent_consumer(broken, warehouse, queue).problems == [
        "your code raised KeyError: 'order'"]
    assert queue.peek_messages(max_messages=32) == []
    assert not check_queue_exists(service, queue)


def test_a_warehouse_without_parcels_is_named(queue):
    result = check_idempotent_consumer(lambda m: None, sqlite3.connect(":memory:"), queue)
    assert heads(result) == ["the warehouse database has no table parcels(order_id, item) "
                             "(no such table"]


def test_a_notebook_queue_with_the_longest_name_still_gets_a_check_queue(lab, warehouse):
    from azure.storage.queue import QueueClient

    longest = QueueClient(lab.account_url, lab.new_queue_name("x" * 40).ljust(63, "q"),
                          credential=lab.credential)
    assert len(longest.queue_name) == 63
    longest.create_queue()
    try:
        result = check_idempotent_consumer(lambda m: None, warehouse, longest)
        assert heads(result) == [f"the order {what} was never packed" for what in (
            "sent twice by the producer", "redelivered after a crash", "that failed halfway")]
    finally:
        longest.delete_queue()


def test_packing_without_the_last_item_is_incomplete_and_escapes_the_failure(warehouse, queue):
    def handle(message):
        order = json.loads(message.content)
        pack(warehouse, {**order, "items": order["items"][:1]})

    problems = check_idempotent_consumer(handle, warehouse, queue).problems
    assert problems[0].startswith("the check's failure halfway never happened")
    assert [p.split(" (")[0] for p in problems[1:]] == [
        "the order sent twice by the producer was packed 2 times: its two messages have "
        "different ids and different texts",
        "the order redelivered after a crash was packed 2 times: remember each order id in "
        "`processed` and skip the ones you have seen",
        "the order that failed halfway is incomplete"]
