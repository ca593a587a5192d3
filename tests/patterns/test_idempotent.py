"""The SQLite dedup store: each business id's effect runs once, atomically with its record."""

from __future__ import annotations

import pytest

from labsupport.patterns.idempotent import DedupStore


def test_the_first_delivery_applies_the_effect_and_a_duplicate_does_not():
    store, effects = DedupStore(), []
    assert store.process_once("order-1", lambda db: effects.append("order-1")) is True
    assert store.process_once("order-1", lambda db: effects.append("order-1")) is False
    assert effects == ["order-1"]
    assert (store.seen("order-1"), store.seen("order-2")) == (True, False)
    assert (len(store), store.duplicates_suppressed) == (1, 1)


def test_the_effect_writes_in_the_same_transaction_as_the_record():
    store = DedupStore()
    store.db.execute("CREATE TABLE shipments (order_id TEXT)")

    def ship_then_fail(db):
        db.execute("INSERT INTO shipments VALUES ('order-1')")
        raise RuntimeError("crash after the effect, before the commit")

    with pytest.raises(RuntimeError):
        store.process_once("order-1", ship_then_fail)
    # rolled back: no shipment, no record, so the redelivery will apply it
    assert store.db.execute("SELECT COUNT(*) FROM shipments").fetchone()[0] == 0
    assert not store.seen("order-1")
    assert store.process_once(
        "order-1", lambda db: db.execute("INSERT INTO shipments VALUES ('order-1')")) is True
    assert store.db.execute("SELECT COUNT(*) FROM shipments").fetchone()[0] == 1


def test_a_file_store_is_shared_by_separate_connections(tmp_path):
    path = tmp_path / "consumer.db"
    with DedupStore(path) as first, DedupStore(path) as second:
        assert first.process_once("order-7") is True
        assert second.process_once("order-7") is False
        assert second.duplicates_suppressed == 1
    with DedupStore(path) as reopened:  # survives the process (here: the connections)
        assert reopened.seen("order-7")
        assert repr(reopened) == "<DedupStore consumer.db: 1 processed>"


@pytest.mark.parametrize("key", ["", None, 42])
def test_the_key_must_be_a_business_id_string(key):
    with pytest.raises(ValueError, match="business id"):
        DedupStore().process_once(key)
