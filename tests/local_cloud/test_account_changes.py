"""Storage-account changes reach Azurite in place: no restart under running notebooks.

Azurite runs through localcloud/azurite_entry.js, which sets AZURITE_ACCOUNTS in
Azurite's own process and refreshes its account stores when the management plane asks.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.queue import QueueClient

import localcloud
from labsupport import local
from labsupport.config import load_config
from labsupport.waits import wait_for
from localcloud.azurite import Azurite
from localcloud.certs import ensure_certificates
from localcloud.errors import LocalCloudError
from localcloud.state import pid_alive, read_record

from .arm_support import NEW_ACCOUNT, storage_client

pytestmark = pytest.mark.cloud  # every test here needs a local cloud (or an Azurite) running


def _azurite(cloud) -> tuple[int, str]:
    """Azurite's pid and its start time (so a reused pid is not taken for the same process)."""
    record = read_record(cloud.folder)
    started = Path(f"/proc/{record.azurite_pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    return record.azurite_pid, started


def _queue(cloud, group: str, account: str, name: str, key_index: int = 0, **kwargs):
    storage = storage_client(cloud)
    key = storage.storage_accounts.list_keys(group, account).keys_property[key_index].value
    url = storage.storage_accounts.get_properties(group, account).primary_endpoints.queue
    return QueueClient(url, name, credential=AzureNamedKeyCredential(account, key), **kwargs)


def test_account_create_regenerate_delete_keep_the_same_azurite(arm_env, shared_account):
    group, _ = shared_account
    before = _azurite(arm_env)
    storage = storage_client(arm_env)
    storage.storage_accounts.begin_create(group, "norestart01", NEW_ACCOUNT).result()
    storage.storage_accounts.regenerate_key(group, "norestart01", {"keyName": "key1"})
    storage.storage_accounts.delete(group, "norestart01")
    assert _azurite(arm_env) == before, "an account change restarted Azurite"


def test_a_ttl_demo_keeps_its_timing_while_another_account_is_created(arm_env,
                                                                      shared_account):
    """Notebook 05's demo next to notebook 02: a 2 s message expires on time and no send
    needs a retry while an account is created (a restart refused connections)."""
    group, account = shared_account
    sent_requests = []
    queue = _queue(arm_env, group, account, "ttl-beside-create", retry_total=0,
                   raw_request_hook=lambda request: sent_requests.append(request))
    queue.create_queue()
    before = _azurite(arm_env)
    try:
        short = queue.send_message("expires in 2 s", time_to_live=2)
        failures = []

        def create() -> None:
            try:
                storage_client(arm_env).storage_accounts.begin_create(
                    group, "besidettl01", NEW_ACCOUNT).result()
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                failures.append(error)

        creator = threading.Thread(target=create)
        creator.start()
        sent_requests.clear()
        sends = 0
        while creator.is_alive() or sends < 3:  # sends before, during and after the change
            queue.send_message(f"during {sends}")  # retry_total=0: a refused send raises
            sends += 1
        creator.join()
        assert failures == [], f"creating the account failed: {failures}"
        assert len(sent_requests) == sends, "every send took exactly one request (no retry)"

        wait_for(lambda: datetime.now(UTC) >= short.expires_on + timedelta(seconds=1),
                 what="the 2 s message's expiry time", timeout=30, interval=0.1)
        peeked = [m.id for m in queue.peek_messages(max_messages=32)]
        assert short.id not in peeked, "the 2 s message did not expire"
        assert _azurite(arm_env) == before, "creating an account restarted Azurite"
    finally:
        queue.delete_queue()
        storage_client(arm_env).storage_accounts.delete(group, "besidettl01")


def test_a_new_account_and_a_regenerated_key_work_at_once(arm_env, shared_account):
    group, _ = shared_account
    storage = storage_client(arm_env)
    storage.storage_accounts.begin_create(group, "keysnow01", NEW_ACCOUNT).result()
    try:
        fresh = _queue(arm_env, group, "keysnow01", "at-once")
        fresh.create_queue()  # the account works as soon as the create has finished
        old = _queue(arm_env, group, "keysnow01", "at-once", key_index=0)
        other = _queue(arm_env, group, "keysnow01", "at-once", key_index=1)
        storage.storage_accounts.regenerate_key(group, "keysnow01", {"keyName": "key1"})
        new = _queue(arm_env, group, "keysnow01", "at-once", key_index=0)

        new.send_message("signed with the new key1")
        other.send_message("signed with key2, which did not change")
        # Azurite answers 400 InvalidAuthenticationInfo (Azure: 403 AuthenticationFailed).
        with pytest.raises(ClientAuthenticationError):
            old.send_message("signed with the old key1")
    finally:
        storage.storage_accounts.delete(group, "keysnow01")


def test_a_deleted_account_stops_working_at_once(arm_env, shared_account):
    group, _ = shared_account
    storage = storage_client(arm_env)
    storage.storage_accounts.begin_create(group, "gonenow01", NEW_ACCOUNT).result()
    queue = _queue(arm_env, group, "gonenow01", "deleted")
    queue.create_queue()
    storage.storage_accounts.delete(group, "gonenow01")
    with pytest.raises(HttpResponseError) as refused:
        queue.get_queue_properties()
    # Azurite's answer for an account it does not serve (Azure's name no longer resolves);
    # the queue itself is gone too, which would be QueueNotFound.
    assert (refused.value.status_code, refused.value.error_code) == (404, "ResourceNotFound")


@pytest.fixture
def azurite(tmp_path):
    """An Azurite of our own, started through the entry point, stopped afterwards."""
    config = load_config({"LAB_STATE_DIR": str(tmp_path)}, env_file=False)
    folder = localcloud.StateFolder(config.state_dir)
    ensure_certificates(folder.root / "tls")
    process = Azurite(folder, local.choose_ports(config, localcloud.last_ports(folder)))
    process.start({})
    yield process
    process.stop()


def test_an_invalid_accounts_value_is_refused_without_quoting_keys(azurite):
    with pytest.raises(LocalCloudError) as refused:
        azurite.set_accounts({"bad": ("a:b:c:d-not-a-key", "k2")})
    assert "refused the account change" in str(refused.value)
    assert "not-a-key" not in str(refused.value), "the error must not repeat the keys"
    azurite.set_accounts({})  # the channel still works afterwards


def test_an_account_change_to_a_dead_azurite_says_so(azurite):
    azurite.process.kill()
    azurite.process.wait()
    with pytest.raises(LocalCloudError, match="exited with code -9"):
        azurite.set_accounts({"acct": ("a2V5MQ==", "a2V5Mg==")})


def test_azurite_stops_by_itself_when_its_daemon_is_killed(tmp_path):
    """kill -9 of the daemon closes Azurite's control pipe: Azurite saves and exits
    instead of holding its ports as an orphan."""
    import os
    import signal

    config = load_config({"LAB_STATE_DIR": str(tmp_path)}, env_file=False)
    record = local.up(config)
    try:
        os.kill(record.pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(record.azurite_pid),
                 what="Azurite to stop after its daemon was killed", timeout=30)
    finally:
        localcloud.stop(tmp_path)
