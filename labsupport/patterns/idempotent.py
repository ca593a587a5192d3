"""An idempotent consumer: a duplicate delivery of the same business operation has no effect.

Queue Storage delivers *at least once*: a message whose lease runs out comes back, and a
producer that retries a send after a timeout may send the same order twice. So remember
which business ids (an order number, not the message id: a retried send gets a new
message id) you have processed, and skip the ones you have seen.

:class:`DedupStore` keeps that memory in SQLite. The important part is the transaction:
the effect and the "processed" record commit **together** or not at all. If the process
dies before the commit, nothing was recorded and the redelivery applies the effect; if it
dies after the commit but before the message is deleted, the redelivery is recognised as
a duplicate. Put the effect's own writes in the same database (``effect(db)`` gets the
connection) and each effect happens exactly once. An effect outside the database (an
e-mail, an HTTP call) can still happen twice in the gap between doing it and committing:
make it idempotent at its destination (e.g. pass the order number as an idempotency key).

A plain ``set()`` of seen ids works in a single process for a demo, but forgets
everything when the process dies — exactly when duplicates arrive.

Lesson 07 writes this transaction in a cell (``open_store`` and ``process_once``); this
module is the tested copy the benches use, and ``tests/patterns/test_dedup_notebook.py``
runs both on the same deliveries and failures and compares what they recorded.

    store = DedupStore("consumer.db")           # or DedupStore() for an in-memory one
    for message in queue.receive_messages(max_messages=16, messages_per_page=16):
        order = json.loads(message.content)
        store.process_once(order["order_id"], lambda db: ship(db, order))
        queue.delete_message(message)           # a duplicate is deleted too
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS processed (
    key TEXT PRIMARY KEY,
    processed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS dedup_stats (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    duplicates INTEGER NOT NULL
);
INSERT OR IGNORE INTO dedup_stats (id, duplicates) VALUES (1, 0);
"""


class DedupStore:
    """Remembers processed business ids in SQLite and runs each id's effect once.

    ``path`` is a file (shared by processes on one machine, survives crashes) or
    ``":memory:"`` (one process, for demos). Safe to share between threads.
    """

    def __init__(self, path: str | Path = ":memory:", *, timeout: float = 30.0) -> None:
        self.path = str(path)
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE … COMMIT) below
        self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                  check_same_thread=False)
        self._lock = threading.RLock()
        with self._lock:
            if self.path != ":memory:":
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)

    def process_once(self, key: str, effect: Callable[[sqlite3.Connection], object] | None = None
                     ) -> bool:
        """Run ``effect(db)`` and record ``key``, in one transaction, unless ``key`` is known.

        Returns True if the effect ran (first time), False for a duplicate. If the effect
        raises, nothing is recorded (the transaction rolls back) and the error propagates,
        so a later delivery can try again.
        """
        if not isinstance(key, str) or not key:
            raise ValueError(f"key must be a non-empty string (a business id), got {key!r}")
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")  # one writer at a time, across processes
            try:
                seen = self.db.execute("SELECT 1 FROM processed WHERE key = ?", (key,)).fetchone()
                if seen:
                    self.db.execute("UPDATE dedup_stats SET duplicates = duplicates + 1")
                else:
                    if effect is not None:
                        effect(self.db)
                    self.db.execute("INSERT INTO processed (key) VALUES (?)", (key,))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return not seen

    def seen(self, key: str) -> bool:
        """True if ``key`` was processed already."""
        with self._lock:
            return self.db.execute("SELECT 1 FROM processed WHERE key = ?",
                                   (key,)).fetchone() is not None

    @property
    def duplicates_suppressed(self) -> int:
        """How many deliveries were recognised as duplicates (across all processes)."""
        with self._lock:
            return self.db.execute("SELECT duplicates FROM dedup_stats").fetchone()[0]

    def __len__(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM processed").fetchone()[0]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> DedupStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "in memory" if self.path == ":memory:" else Path(self.path).name
        return f"<DedupStore {where}: {len(self)} processed>"
