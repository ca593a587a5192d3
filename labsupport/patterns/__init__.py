"""Patterns learners copy into their own consumers, built on the public Azure SDK only.

* :mod:`.leases` — recognise a lost lease (a stale pop receipt) and delete safely.
* :mod:`.idempotent` — a small SQLite dedup store so a duplicate delivery has no effect.
* :mod:`.poison` — move a message that keeps failing to ``<queue>-poison``, content intact.

Nothing here knows about the lab's local cloud: the same code runs against Azure.
"""
