"""Patterns learners copy into their own apps, built on public libraries (the Azure SDK) only.

* :mod:`.error_codes` — read the service's error code of a failure (header first).
* :mod:`.leases` — recognise a lost lease (a stale pop receipt) and delete safely.
* :mod:`.idempotent` — a small SQLite dedup store so a duplicate delivery has no effect.
* :mod:`.poison` — move a message that keeps failing to ``<queue>-poison``, content intact.
* :mod:`.claim_check` — send large payloads through Blob storage, the message holds a reference.
* :mod:`.typed_messages` — parse a payload against a schema, or say in one line why not.

Nothing here knows about the lab's local cloud: the same code runs against Azure.
"""
