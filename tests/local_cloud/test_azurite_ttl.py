"""Time to live survives a restart of Azurite (patches/azurite+3.35.0.patch).

Unpatched, Azurite 3.35.0 never expires a message that was in a queue when it restarted:
the expiry time comes back from disk as a string, and its ``$lte`` query never matches
it (Azure/Azurite#1069). patches/README.md tells the whole story.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from azure.core.credentials import AzureNamedKeyCredential
from azure.storage.queue import QueueClient

from labsupport.waits import wait_for
from localcloud.azurite import azurite_patched

from .arm_support import point_at, storage_client


def _queue(cloud, group: str, account: str, name: str) -> QueueClient:
    storage = storage_client(cloud)
    key = storage.storage_accounts.list_keys(group, account).keys_property[0].value
    url = storage.storage_accounts.get_properties(group, account).primary_endpoints.queue
    return QueueClient(url, name, credential=AzureNamedKeyCredential(account, key))


def _after(moment: datetime) -> bool:
    """True once the wall clock is a second past ``moment`` (Azure reports whole seconds)."""
    return datetime.now(UTC) >= moment + timedelta(seconds=1)


def test_the_patch_is_applied_to_the_installed_azurite():
    assert azurite_patched(), (
        "node_modules/azurite is not patched: run `npm ci` (its postinstall runs "
        "patch-package with patches/azurite+3.35.0.patch)")


def test_a_message_sent_before_a_restart_still_expires(arm_env, shared_account, monkeypatch):
    group, account = shared_account
    queue = _queue(arm_env, group, account, "ttl-restart")
    queue.create_queue()
    short = queue.send_message("expires in 2 s", time_to_live=2)
    kept = queue.send_message("lives an hour", time_to_live=3600)

    arm_env.restart()
    point_at(arm_env, monkeypatch)
    queue = _queue(arm_env, group, account, "ttl-restart")
    try:
        wait_for(lambda: _after(short.expires_on), what="the short message's expiry time",
                 timeout=30, interval=0.1)
        # The message expired while Azurite was down or just after; Azure drops it.
        peeked = [m.id for m in queue.peek_messages(max_messages=32)]
        assert short.id not in peeked, (
            f"a 2 s message sent before the restart is still there "
            f"{(datetime.now(UTC) - short.inserted_on).total_seconds():.0f} s after it was sent")
        assert peeked == [kept.id], "the long-lived message survives the restart"
    finally:
        queue.delete_queue()


def test_a_message_sent_after_a_restart_expires_too(arm_env, shared_account):
    """Control: new messages were never affected; the patch must not break them."""
    group, account = shared_account
    queue = _queue(arm_env, group, account, "ttl-fresh")
    queue.create_queue()
    try:
        short = queue.send_message("expires in 1 s", time_to_live=1)
        started = time.monotonic()
        wait_for(lambda: _after(short.expires_on), what="the message's expiry time",
                 timeout=30, interval=0.1)
        assert [m.id for m in queue.peek_messages()] == [], (
            f"a 1 s message is still there after {time.monotonic() - started:.1f} s")
    finally:
        queue.delete_queue()
