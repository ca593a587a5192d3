"""The management store: typed records, transactions, and the JSON earlier versions wrote.

No cloud is started here: the store is plain Python over a file.
"""

from __future__ import annotations

import json
import threading
from dataclasses import FrozenInstanceError, replace

import pytest

from localcloud.management.models import ResourceGroup, RoleAssignment, StorageAccount
from localcloud.management.store import ManagementStore, StoreError, load_store

SUB = "00000000-0000-4000-8000-000000000001"
# management.json as the lab wrote it before records were typed (keys shortened, fake):
# a group with tags, one being deleted when the cloud stopped, an account being created,
# a role assignment, and a subscription from a version without role assignments.
EARLIER = {
    "version": 1,
    "subscriptions": {
        SUB: {
            "resourceGroups": {
                "rg-qlab": {"name": "rg-qlab", "location": "eastus", "tags": {"lab": "queue"},
                            "managedBy": None, "createdTime": "2026-01-05T10:00:00.000000Z",
                            "provisioningState": "Succeeded"},
                "rg-going": {"name": "rg-Going", "location": "westeurope", "tags": None,
                             "managedBy": None, "createdTime": "2026-01-05T10:01:00.000000Z",
                             "provisioningState": "Deleting"},
            },
            "storageAccounts": {
                "qlab12345678": {
                    "name": "qlab12345678", "resourceGroup": "rg-qlab", "location": "eastus",
                    "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "tags": {},
                    "properties": {"minimumTlsVersion": "TLS1_2", "accessTier": "Hot",
                                   "networkAcls": {"bypass": "AzureServices", "ipRules": [],
                                                   "virtualNetworkRules": [],
                                                   "defaultAction": "Allow"}},
                    "keys": {"key1": "a2V5MQ==", "key2": "a2V5Mg=="},
                    "keyCreationTime": {"key1": "2026-01-05T10:00:01.000000Z",
                                        "key2": "2026-01-05T10:00:01.000000Z"},
                    "creationTime": "2026-01-05T10:00:01.000000Z",
                    "provisioningState": "Creating",
                },
            },
            "roleAssignments": {
                "5f0c1a8e-0000-4000-8000-00000000beef": {
                    "name": "5f0c1a8e-0000-4000-8000-00000000beef",
                    "scope": f"/subscriptions/{SUB}/resourceGroups/rg-qlab",
                    "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft."
                                        f"Authorization/roleDefinitions/"
                                        f"974c5e8b-45b9-4653-ba55-5f855dd0fb88",
                    "principalId": "00000000-0000-4000-8000-0000000000a1",
                    "principalType": "ServicePrincipal", "description": None,
                    "condition": None, "conditionVersion": None,
                    "createdOn": "2026-01-05T10:00:02.000000Z",
                    "updatedOn": "2026-01-05T10:00:02.000000Z",
                    "createdBy": "00000000-0000-4000-8000-0000000000a1",
                    "updatedBy": "00000000-0000-4000-8000-0000000000a1",
                },
            },
        },
        "11111111-0000-4000-8000-000000000001": {"resourceGroups": {}, "storageAccounts": {}},
    },
}


@pytest.fixture
def earlier(tmp_path):
    path = tmp_path / "management.json"
    path.write_text(json.dumps(EARLIER, indent=2, sort_keys=True))
    return path


def test_a_file_written_earlier_loads_as_typed_records(earlier):
    store = load_store(earlier)
    group = store.resource_group(SUB.upper(), "RG-QLAB")
    assert group == ResourceGroup("rg-qlab", "eastus", {"lab": "queue"}, None,
                                  "2026-01-05T10:00:00.000000Z")
    account = store.account(SUB, "rg-QLAB", "qlab12345678")
    assert isinstance(account, StorageAccount)
    assert (account.sku, account.kind, account.keys["key2"]) == ("Standard_LRS", "StorageV2",
                                                                 "a2V5Mg==")
    assignment = store.role_assignment(SUB, "5F0C1A8E-0000-4000-8000-00000000BEEF")
    assert isinstance(assignment, RoleAssignment)
    assert assignment.principal_type == "ServicePrincipal"
    assert store.azurite_accounts() == {"qlab12345678": ("a2V5MQ==", "a2V5Mg==")}


def test_operations_cut_short_by_a_stop_are_settled_on_load(earlier):
    store = load_store(earlier)
    assert store.resource_group(SUB, "rg-going").provisioning_state == "Succeeded"
    assert store.account(SUB, "rg-qlab", "qlab12345678").provisioning_state == "Succeeded"


def test_saving_writes_the_same_layout_back(earlier):
    store = load_store(earlier)
    with store.transaction():
        pass  # a transaction saves even when it changes nothing
    saved = json.loads(earlier.read_text())
    expected = json.loads(json.dumps(EARLIER))
    expected["subscriptions"][SUB]["resourceGroups"]["rg-going"]["provisioningState"] = \
        "Succeeded"
    expected["subscriptions"][SUB]["storageAccounts"]["qlab12345678"]["provisioningState"] = \
        "Succeeded"
    expected["subscriptions"]["11111111-0000-4000-8000-000000000001"]["roleAssignments"] = {}
    assert saved == expected


def test_keys_a_record_does_not_know_are_kept(tmp_path):
    path = tmp_path / "management.json"
    data = json.loads(json.dumps(EARLIER))
    data["subscriptions"][SUB]["resourceGroups"]["rg-qlab"]["futureField"] = {"x": 1}
    data["futureTop"] = True
    path.write_text(json.dumps(data))
    store = load_store(path)
    with store.transaction():
        group = store.resource_group(SUB, "rg-qlab")
        store.put_resource_group(SUB, replace(group, tags={"changed": "yes"}))
    saved = json.loads(path.read_text())
    assert saved["subscriptions"][SUB]["resourceGroups"]["rg-qlab"]["futureField"] == {"x": 1}
    assert saved["subscriptions"][SUB]["resourceGroups"]["rg-qlab"]["tags"] == {
        "changed": "yes"}
    assert saved["futureTop"] is True


@pytest.mark.parametrize("content", [
    "not json",
    "[]",
    '{"version": 1}',
    '{"version": 1, "subscriptions": {"s": {"storageAccounts": {"a": {"name": "a"}}}}}',
    '{"version": 1, "subscriptions": {"s": {"storageAccounts": {"a": {"name": "a", '
    '"resourceGroup": "g", "keys": {"key1": "k"}}}}}}',
    '{"version": 1, "subscriptions": {"s": {"resourceGroups": {"g": {"location": "x"}}}}}',
    '{"version": 1, "subscriptions": {"s": {"roleAssignments": []}}}',
])
def test_load_store_refuses_what_it_cannot_use(tmp_path, content):
    path = tmp_path / "management.json"
    path.write_text(content)
    with pytest.raises(StoreError, match="is corrupt"):
        load_store(path)
    assert path.read_text() == content, "never reset"


def test_a_transaction_saves_once_and_a_failed_one_changes_nothing(tmp_path):
    path = tmp_path / "management.json"
    store = ManagementStore(path)
    with store.transaction():
        store.put_resource_group("SUB", ResourceGroup("rg-A", "eastus"))
        with store.transaction():  # nested: saved with the outer one
            store.put_resource_group("SUB", ResourceGroup("rg-B", "eastus"))
        assert not path.exists(), "nothing is written before the outermost block ends"
    written = path.read_text()
    assert set(json.loads(written)["subscriptions"]["sub"]["resourceGroups"]) == {"rg-a",
                                                                                  "rg-b"}

    with pytest.raises(ValueError, match="refused"), store.transaction():
        store.remove_resource_group("sub", "rg-a")
        store.put_resource_group("other", ResourceGroup("rg-C", "eastus"))
        raise ValueError("refused")
    assert [g.name for g in store.resource_groups("sub")] == ["rg-A", "rg-B"]
    assert store.resource_groups("other") == []
    assert path.read_text() == written, "a failed transaction writes nothing"


def test_changes_outside_a_transaction_are_refused(tmp_path):
    store = ManagementStore(tmp_path / "management.json")
    with pytest.raises(RuntimeError, match="store.transaction"):
        store.put_resource_group("sub", ResourceGroup("rg-a", "eastus"))
    with pytest.raises(FrozenInstanceError):
        ResourceGroup("rg-a", "eastus").location = "westus"  # type: ignore[misc]


def test_a_reader_waits_for_a_transaction_and_keeps_what_it_read(tmp_path):
    store = ManagementStore(tmp_path / "management.json")
    with store.transaction():
        store.put_account("sub", StorageAccount("acct", "rg", {"key1": "k1", "key2": "k2"},
                                                provisioning_state="Creating"))
    before = store.account("sub", "rg", "acct")
    changing, read = threading.Event(), []

    def long_running_operation():
        with store.transaction():
            store.put_account("sub", replace(before, provisioning_state="Succeeded"))
            changing.set()
            reader.start()
            reader.join(0.2)  # the reader must be waiting for the lock, not reading
            read.append(("during", list(read)))

    reader = threading.Thread(target=lambda: read.append(store.account("sub", "rg", "acct")))
    worker = threading.Thread(target=long_running_operation)
    worker.start()
    worker.join(30)
    reader.join(30)
    assert read[0] == ("during", []), "a read went past a transaction in progress"
    assert read[1].provisioning_state == "Succeeded"
    assert before.provisioning_state == "Creating", "a record someone holds never changes"


def test_assignments_under_a_scope_are_removed_at_segment_boundaries(tmp_path):
    store = ManagementStore(tmp_path / "management.json")
    group = "/subscriptions/sub/resourceGroups/rg-a"
    with store.transaction():
        for name, scope in [("1", group), ("2", group.upper() + "/providers/x/y/z"),
                            ("3", "/subscriptions/sub/resourceGroups/rg-ab"),
                            ("4", "/subscriptions/sub")]:
            store.put_role_assignment("sub", RoleAssignment(name, scope))
        store.remove_role_assignments_under("SUB", group)
    assert [a.name for a in store.role_assignments("sub")] == ["3", "4"]
