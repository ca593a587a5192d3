"""Find out what a credential may do on a queue by trying each message operation."""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError
from azure.storage.queue import QueueClient

from ..patterns.error_codes import error_code


def probe_queue_access(client: QueueClient, owner: QueueClient) -> dict[str, str | None]:
    """Try each message operation with ``client``; map it to None (allowed) or the error code.

    ``owner`` (a client with full rights on the same queue) prepares the messages each
    operation needs. The queue is emptied afterwards: use a queue made for the probe.
    """
    results: dict[str, str | None] = {}

    def attempt(name, call):
        try:
            call()
            results[name] = None
        except HttpResponseError as error:
            results[name] = error_code(error)

    attempt("send", lambda: client.send_message("probe: send"))
    attempt("peek", lambda: client.peek_messages(max_messages=1))
    owner.send_message("probe: receive")

    def receive():
        if not list(client.receive_messages(max_messages=1, visibility_timeout=30)):
            raise AssertionError("the queue offered no message to receive")

    attempt("receive", receive)
    owner.send_message("probe: update")
    leased = next(owner.receive_messages(max_messages=1, visibility_timeout=30))
    attempt("update", lambda: client.update_message(leased, visibility_timeout=0))
    owner.send_message("probe: delete")
    leased = next(owner.receive_messages(max_messages=1, visibility_timeout=30))
    attempt("delete", lambda: client.delete_message(leased))
    owner.clear_messages()
    return results


def access_table(results: dict[str, str | None]) -> str:
    """``probe_queue_access`` results as one line: ``send ✓ · peek ✗ · …`` (✗: refused)."""
    return " · ".join(f"{op} {'✓' if code is None else '✗'}" for op, code in results.items())
