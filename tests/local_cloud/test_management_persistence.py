"""The management plane's state outlives restarts, and a corrupt state file stops a start.

The store itself (records, transactions, the file layout) is tested in test_management_store.py.
"""

from __future__ import annotations

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
from azure.storage.queue import QueueClient

import localcloud
from labsupport import local
from labsupport.config import load_config
from labsupport.errors import LocalCloudError

from .arm_support import (
    NEW_ACCOUNT,
    authorization_client,
    point_at,
    resource_client,
    storage_client,
)

QUEUE_READER = "19e7f393-937e-4f77-808e-94535e297925"


def test_groups_accounts_keys_and_messages_survive_a_restart(arm_env, monkeypatch):
    resources, storage = resource_client(arm_env), storage_client(arm_env)
    resources.resource_groups.create_or_update("rg-Persist", {"location": "eastus",
                                                             "tags": {"keep": "me"}})
    storage.storage_accounts.begin_create("rg-persist", "persistacct", NEW_ACCOUNT).result()
    keys = [k.value for k in storage.storage_accounts.list_keys(
        "rg-persist", "persistacct").keys_property]
    storage.queue.create("rg-persist", "persistacct", "kept", {"properties": {
        "metadata": {"lesson": "persistence"}}})
    queue_url = storage.storage_accounts.get_properties("rg-persist", "persistacct") \
        .primary_endpoints.queue
    QueueClient(queue_url, "kept", credential=AzureNamedKeyCredential("persistacct", keys[0])) \
        .send_message("still here")
    account_scope = storage.storage_accounts.get_properties("rg-persist", "persistacct").id
    grant = authorization_client(arm_env).role_assignments.create(
        account_scope, "5f0c1a8e-0000-4000-8000-00000000beef", RoleAssignmentCreateParameters(
            role_definition_id=f"/subscriptions/{arm_env.subscription}/providers/"
                               f"Microsoft.Authorization/roleDefinitions/{QUEUE_READER}",
            principal_id="00000000-0000-4000-8000-0000000000a1"))

    arm_env.restart()
    point_at(arm_env, monkeypatch)
    resources, storage = resource_client(arm_env), storage_client(arm_env)

    group = resources.resource_groups.get("rg-persist")
    assert (group.name, group.tags) == ("rg-Persist", {"keep": "me"})
    account = storage.storage_accounts.get_properties("rg-persist", "persistacct")
    assert account.provisioning_state == "Succeeded"
    assert [k.value for k in storage.storage_accounts.list_keys(
        "rg-persist", "persistacct").keys_property] == keys
    assert storage.queue.get("rg-persist", "persistacct", "kept").metadata == {
        "lesson": "persistence"}
    queue = QueueClient(account.primary_endpoints.queue, "kept",
                        credential=AzureNamedKeyCredential("persistacct", keys[0]))
    assert [m.content for m in queue.peek_messages()] == ["still here"]
    kept = authorization_client(arm_env).role_assignments.get(account_scope, grant.name)
    assert (kept.id, kept.role_definition_id, kept.principal_id) == (
        grant.id, grant.role_definition_id, grant.principal_id)


@pytest.mark.cloud
def test_corrupt_state_file_stops_the_start_and_names_the_file(tmp_path):
    state_file = tmp_path / "management.json"
    state_file.write_text('{"version": 1, "subscriptions": ')
    config = load_config({"LAB_STATE_DIR": str(tmp_path)}, env_file=False)
    try:
        with pytest.raises(LocalCloudError) as caught:
            local.up(config)
    finally:
        localcloud.stop(tmp_path)
    assert str(state_file) in str(caught.value)
    assert "corrupt" in str(caught.value)
    assert state_file.read_text() == '{"version": 1, "subscriptions": ', "never reset"
