"""Lesson 07's dedup transaction and labsupport.patterns.idempotent (its tested copy) agree.

The notebook's cell tagged ``dedup-transaction`` (``open_store`` and ``process_once``) is
read with nbformat and run here, untouched. One script of deliveries — a first delivery, a
duplicate, an effect that writes and then fails halfway, its retry, a second order — runs
through the cell's ``process_once`` and through ``DedupStore.process_once``. What each
returned or raised, the effects that ran, and what each database holds afterwards must be
the same; a mutated copy of the cell (committing instead of rolling back on failure) must
not pass, so the comparison can tell them apart.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import nbformat
import pytest

from labsupport.patterns.idempotent import DedupStore

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / \
    "07_duplicates_and_poison_messages.ipynb"


def cell_source() -> str:
    [cell] = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells
              if "dedup-transaction" in c.metadata.get("tags", [])]
    return cell.source


def load(source: str) -> dict:
    namespace = {"sqlite3": sqlite3}
    exec(compile(source, "07-dedup-transaction", "exec"), namespace)
    return namespace


class Jam(RuntimeError):
    """The failure halfway through an effect."""


def script(process_once, db) -> dict:
    """Run the deliveries through ``process_once(key, effect)``; report what happened."""
    db.execute("CREATE TABLE effects (key TEXT, step INTEGER)")
    ran, outcomes = [], []

    def effect(key, *, fail=False):
        def run(connection):
            ran.append(key)
            connection.execute("INSERT INTO effects VALUES (?, 1)", (key,))
            if fail:
                raise Jam(f"{key} failed halfway")
            connection.execute("INSERT INTO effects VALUES (?, 2)", (key,))
        return run

    deliveries = [("order-1", False), ("order-1", False), ("order-2", True),
                  ("order-2", False), ("order-2", False), ("order-3", False)]
    for key, fail in deliveries:
        try:
            outcomes.append(process_once(key, effect(key, fail=fail)))
        except Jam as error:
            outcomes.append(f"raised: {error}")
    return {
        "outcomes": outcomes,
        "ran": ran,
        "processed": [r[0] for r in db.execute("SELECT key FROM processed ORDER BY key")],
        "effects": db.execute("SELECT key, step FROM effects ORDER BY key, step").fetchall(),
        "open": db.in_transaction,
    }


def run_cell(source: str) -> dict:
    cell = load(source)
    db = cell["open_store"]()
    return script(lambda key, effect: cell["process_once"](db, key, effect), db)


def run_copy() -> dict:
    store = DedupStore()
    return script(store.process_once, store.db)


def test_the_cell_and_the_copy_do_the_same():
    notebook, tested = run_cell(cell_source()), run_copy()
    assert notebook["outcomes"] == [True, False, "raised: order-2 failed halfway", True, False,
                                    True]
    assert notebook["effects"] == [("order-1", 1), ("order-1", 2), ("order-2", 1),
                                   ("order-2", 2), ("order-3", 1), ("order-3", 2)], \
        "the failed try left nothing behind"
    assert notebook["open"] is False
    assert notebook == tested


def test_the_cell_keeps_its_store_in_a_file_across_connections(tmp_path):
    cell = load(cell_source())
    first = cell["open_store"](tmp_path / "orders.db")
    assert cell["process_once"](first, "order-1", lambda db: None) is True
    first.close()
    again = cell["open_store"](tmp_path / "orders.db")
    assert cell["process_once"](again, "order-1", lambda db: None) is False


def test_a_mutated_cell_is_told_apart():
    """Control: committing on failure keeps the half-done effect and changes the result."""
    source = cell_source()
    mutated = source.replace('db.execute("ROLLBACK")', 'db.execute("COMMIT")')
    assert mutated != source
    assert run_cell(mutated) != run_copy()


@pytest.mark.parametrize("name", ["open_store", "process_once"])
def test_the_cell_defines(name):
    assert callable(load(cell_source())[name])
