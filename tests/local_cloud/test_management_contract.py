"""The management plane's contract with the unchanged Azure SDKs.

Each test records what ``ResourceManagementClient`` / ``StorageManagementClient`` send
(method, path, api-version, query) and checks the status codes and the fields notebooks
read from the deserialized models.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient, QueueServiceClient

from .arm_support import NEW_ACCOUNT, is_account_key

RESOURCES_API = ["2025-04-01"]
STORAGE_API = ["2026-09-01"]


def sub_path(cloud, rest: str) -> str:
    return f"/subscriptions/{cloud.subscription}{rest}"


def account_path(cloud, group: str, account: str, rest: str = "") -> str:
    return sub_path(cloud, f"/resourceGroups/{group}/providers/Microsoft.Storage/"
                           f"storageAccounts/{account}{rest}")


def key1(storage, group: str, account: str) -> str:
    return storage.storage_accounts.list_keys(group, account).keys_property[0].value


def queue_service(cloud, account: str, key: str) -> QueueServiceClient:
    return QueueServiceClient(f"{cloud.record.endpoints()['queue']}/{account}",
                              credential=AzureNamedKeyCredential(account, key))


# Resource groups ----------------------------------------------------------------------

def test_resource_group_put_is_201_then_200_and_keeps_the_first_casing(resources, recorder,
                                                                       arm_env):
    created = resources.resource_groups.create_or_update(
        "rg-Casing", {"location": "eastus", "tags": {"owner": "ana"}})
    updated = resources.resource_groups.create_or_update(
        "RG-CASING", {"location": "eastus", "tags": {"owner": "ben"}})

    assert [(s.method, s.path, s.query) for s in recorder.sent] == [
        ("PUT", sub_path(arm_env, "/resourcegroups/rg-Casing"), {"api-version": RESOURCES_API}),
        ("PUT", sub_path(arm_env, "/resourcegroups/RG-CASING"), {"api-version": RESOURCES_API}),
    ]
    assert recorder.statuses == [201, 200]
    assert json.loads(recorder.sent[0].body) == {"location": "eastus", "tags": {"owner": "ana"}}
    assert created.id == sub_path(arm_env, "/resourceGroups/rg-Casing")
    assert (created.name, created.type, created.location) == (
        "rg-Casing", "Microsoft.Resources/resourceGroups", "eastus")
    assert created.properties.provisioning_state == "Succeeded"
    assert updated.name == "rg-Casing", "Azure keeps the casing the group was created with"
    assert updated.tags == {"owner": "ben"}


def test_group_names_with_parentheses_and_periods(resources):
    created = resources.resource_groups.create_or_update("rg_(lab).v2", {"location": "eastus"})
    assert created.name == "rg_(lab).v2"
    assert resources.resource_groups.get("RG_(LAB).V2").name == "rg_(lab).v2"


def test_check_existence_is_head_204_or_404(resources, recorder, arm_env):
    resources.resource_groups.create_or_update("rg-exists", {"location": "westeurope"})
    recorder.clear()

    assert resources.resource_groups.check_existence("RG-Exists") is True
    assert resources.resource_groups.check_existence("rg-never-made") is False
    head = ("HEAD", {"api-version": RESOURCES_API})
    assert [(s.method, s.query) for s in recorder.sent] == [head, head]
    assert recorder.statuses == [204, 404]


def test_get_list_and_tag_filter(resources, recorder, arm_env):
    resources.resource_groups.create_or_update("rg-listed", {"location": "East US",
                                                            "tags": {"env": "lab"}})
    recorder.clear()

    group = resources.resource_groups.get("rg-LISTED")
    names = [g.name for g in resources.resource_groups.list()]
    tagged = [g.name for g in resources.resource_groups.list(filter="tagName eq 'env' and "
                                                                    "tagValue eq 'lab'")]

    assert group.location == "eastus", "ARM normalises 'East US' to 'eastus'"
    assert group.tags == {"env": "lab"}
    assert "rg-listed" in names
    assert tagged == ["rg-listed"]
    assert [(s.method, s.path) for s in recorder.sent] == [
        ("GET", sub_path(arm_env, "/resourcegroups/rg-LISTED")),
        ("GET", sub_path(arm_env, "/resourcegroups")),
        ("GET", sub_path(arm_env, "/resourcegroups")),
    ]
    assert recorder.sent[2].query["$filter"] == ["tagName eq 'env' and tagValue eq 'lab'"]


def test_update_is_patch_and_replaces_tags(resources, recorder, arm_env):
    resources.resource_groups.create_or_update("rg-patched", {"location": "eastus",
                                                             "tags": {"a": "1", "b": "2"}})
    recorder.clear()

    group = resources.resource_groups.update("rg-patched", {"tags": {"c": "3"}})

    assert (recorder.sent[0].method, recorder.sent[0].path) == (
        "PATCH", sub_path(arm_env, "/resourcegroups/rg-patched"))
    assert recorder.statuses == [200]
    assert group.tags == {"c": "3"}
    assert resources.resource_groups.get("rg-patched").tags == {"c": "3"}


def test_group_delete_is_long_running_and_deletes_accounts_and_data(resources, storage,
                                                                    recorder, arm_env):
    resources.resource_groups.create_or_update("rg-doomed", {"location": "eastus"})
    storage.storage_accounts.begin_create("rg-doomed", "doomedacct", NEW_ACCOUNT).result()
    key = key1(storage, "rg-doomed", "doomedacct")
    queue_service(arm_env, "doomedacct", key).create_queue("left-behind")
    recorder.clear()

    resources.resource_groups.begin_delete("rg-doomed").result()

    delete, poll = recorder.sent[0], recorder.sent[1]
    assert (delete.method, delete.path, delete.query) == (
        "DELETE", sub_path(arm_env, "/resourcegroups/rg-doomed"), {"api-version": RESOURCES_API})
    assert poll.method == "GET" and poll.path.startswith(sub_path(arm_env, "/operationresults/"))
    assert poll.query == {"api-version": RESOURCES_API}
    assert recorder.statuses == [202, 200]
    assert resources.resource_groups.check_existence("rg-doomed") is False
    assert "doomedacct" not in [a.name for a in storage.storage_accounts.list()]

    resources.resource_groups.create_or_update("rg-reborn", {"location": "eastus"})
    storage.storage_accounts.begin_create("rg-reborn", "doomedacct", NEW_ACCOUNT).result()
    fresh = queue_service(arm_env, "doomedacct", key1(storage, "rg-reborn", "doomedacct"))
    assert [q.name for q in fresh.list_queues()] == [], "a re-created account starts empty"


# Storage accounts --------------------------------------------------------------------

def test_check_name_availability(storage, recorder, arm_env, shared_account):
    _, taken = shared_account
    kind = "Microsoft.Storage/storageAccounts"

    free = storage.storage_accounts.check_name_availability({"name": "freename01", "type": kind})
    invalid = storage.storage_accounts.check_name_availability({"name": "Bad_Name", "type": kind})
    used = storage.storage_accounts.check_name_availability({"name": taken, "type": kind})

    assert (recorder.sent[0].method, recorder.sent[0].path, recorder.sent[0].query) == (
        "POST", sub_path(arm_env, "/providers/Microsoft.Storage/checkNameAvailability"),
        {"api-version": STORAGE_API})
    assert free.name_available is True and free.reason is None
    assert (invalid.name_available, invalid.reason) == (False, "AccountNameInvalid")
    assert invalid.message == (
        "Bad_Name is not a valid storage account name. Storage account name must be between 3 "
        "and 24 characters in length and use numbers and lower-case letters only.")
    assert (used.name_available, used.reason) == (False, "AlreadyExists")
    assert used.message == f"The storage account named {taken} is already taken."


def test_create_is_long_running_fast_and_silent(resources, storage, recorder, arm_env, capsys):
    resources.resource_groups.create_or_update("rg-create", {"location": "eastus"})
    recorder.clear()
    parameters = {**NEW_ACCOUNT, "tags": {"lesson": "03"},
                  "properties": {"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False}}

    started = time.monotonic()
    account = storage.storage_accounts.begin_create("rg-create", "createdacct", parameters).result()
    elapsed = time.monotonic() - started

    assert elapsed < 5, f"the create LRO took {elapsed:.1f} s (the SDK waited: Retry-After?)"
    assert capsys.readouterr() == ("", "")
    put, poll = recorder.sent
    assert (put.method, put.path, put.query) == (
        "PUT", account_path(arm_env, "rg-create", "createdacct"), {"api-version": STORAGE_API})
    assert json.loads(put.body)["sku"] == {"name": "Standard_LRS"}
    assert poll.method == "GET"
    assert poll.path.startswith(sub_path(
        arm_env, "/providers/Microsoft.Storage/locations/eastus/asyncoperations/"))
    assert poll.query == {"monitor": ["true"], "api-version": STORAGE_API}
    assert recorder.statuses == [202, 200]

    endpoints = arm_env.record.endpoints()
    assert account.id == account_path(arm_env, "rg-create", "createdacct")
    assert (account.name, account.type, account.location) == (
        "createdacct", "Microsoft.Storage/storageAccounts", "eastus")
    assert account.tags == {"lesson": "03"}
    assert (account.sku.name, account.sku.tier, account.kind) == (
        "Standard_LRS", "Standard", "StorageV2")
    assert account.provisioning_state == "Succeeded"
    assert account.primary_endpoints.queue == f"{endpoints['queue']}/createdacct/"
    assert account.primary_endpoints.blob == f"{endpoints['blob']}/createdacct/"
    assert account.primary_endpoints.table == f"{endpoints['table']}/createdacct/"
    assert (account.primary_location, account.status_of_primary) == ("eastus", "available")
    assert account.creation_time is not None and account.key_creation_time.key1 is not None
    assert (account.minimum_tls_version, account.allow_blob_public_access) == ("TLS1_2", False)
    assert account.enable_https_traffic_only is True
    assert account.network_rule_set.default_action == "Allow"
    assert account.encryption.services.blob.enabled is True


def test_two_creators_of_one_account_both_finish_fast(resources, storage, arm_env):
    resources.resource_groups.create_or_update("rg-race", {"location": "eastus"})

    started = time.monotonic()
    first = storage.storage_accounts.begin_create("rg-race", "raceacct", NEW_ACCOUNT)
    second = storage.storage_accounts.begin_create("rg-race", "raceacct", NEW_ACCOUNT)
    accounts = [first.result(), second.result()]
    elapsed = time.monotonic() - started

    assert elapsed < 5, f"concurrent creates took {elapsed:.1f} s"
    assert [a.provisioning_state for a in accounts] == ["Succeeded", "Succeeded"]
    assert accounts[0].id == accounts[1].id


def test_get_properties_and_both_lists(storage, recorder, arm_env, shared_account):
    group, name = shared_account

    account = storage.storage_accounts.get_properties(group, name)
    in_group = [a.name for a in storage.storage_accounts.list_by_resource_group(group)]
    everywhere = [a.name for a in storage.storage_accounts.list()]

    assert [(s.method, s.path, s.query) for s in recorder.sent] == [
        ("GET", account_path(arm_env, group, name), {"api-version": STORAGE_API}),
        ("GET", sub_path(arm_env, f"/resourceGroups/{group}/providers/Microsoft.Storage/"
                                  f"storageAccounts"), {"api-version": STORAGE_API}),
        ("GET", sub_path(arm_env, "/providers/Microsoft.Storage/storageAccounts"),
         {"api-version": STORAGE_API}),
    ]
    assert account.name == name and account.provisioning_state == "Succeeded"
    assert in_group == [name]
    assert name in everywhere


def test_update_is_patch_tags_replace_and_properties_merge(storage, recorder, arm_env,
                                                           shared_account):
    group, name = shared_account
    storage.storage_accounts.update(group, name, {"tags": {"old": "x"}})
    recorder.clear()

    account = storage.storage_accounts.update(group, name, {
        "tags": {"new": "y"},
        "properties": {
            "allowBlobPublicAccess": True,
            "networkAcls": {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.7"}]},
            "encryption": {"services": {"queue": {"keyType": "Service", "enabled": True}},
                           "keySource": "Microsoft.Storage"},
        },
    })

    assert (recorder.sent[0].method, recorder.sent[0].path) == (
        "PATCH", account_path(arm_env, group, name))
    assert recorder.statuses == [200]
    assert account.tags == {"new": "y"}
    assert account.allow_blob_public_access is True
    assert account.minimum_tls_version == "TLS1_2", "properties not sent are kept"
    assert account.network_rule_set.default_action == "Deny"
    assert [r.ip_address_or_range for r in account.network_rule_set.ip_rules] == ["203.0.113.7"]
    assert account.encryption.services.queue.enabled is True
    assert account.encryption.services.blob.enabled is True, "encryption merges"
    assert storage.storage_accounts.get_properties(group, name).tags == {"new": "y"}


def test_list_keys_sends_expand_kerb_and_returns_two_full_keys(storage, recorder, arm_env,
                                                               shared_account):
    group, name = shared_account

    keys = storage.storage_accounts.list_keys(group, name).keys_property

    sent = recorder.sent[0]
    assert (sent.method, sent.path) == ("POST", account_path(arm_env, group, name, "/listKeys"))
    assert sent.query == {"api-version": STORAGE_API, "$expand": ["kerb"]}
    assert [(k.key_name, k.permissions) for k in keys] == [("key1", "FULL"), ("key2", "FULL")]
    assert all(is_account_key(k.value) for k in keys)
    assert keys[0].value != keys[1].value
    assert keys[0].creation_time is not None


def test_connection_string_from_list_keys_works_against_azurite(storage, arm_env,
                                                                shared_account):
    group, name = shared_account
    account = storage.storage_accounts.get_properties(group, name)
    key = key1(storage, group, name)
    connection = (f"DefaultEndpointsProtocol=https;AccountName={name};AccountKey={key};"
                  f"QueueEndpoint={account.primary_endpoints.queue}")

    queue = QueueClient.from_connection_string(connection, "from-connection-string")
    queue.create_queue()
    queue.send_message("hello")

    assert [m.content for m in queue.peek_messages()] == ["hello"]


def test_regenerate_key_refuses_the_old_key_at_once(storage, recorder, arm_env, shared_account):
    group, name = shared_account
    before = storage.storage_accounts.list_keys(group, name).keys_property
    recorder.clear()

    after = storage.storage_accounts.regenerate_key(group, name, {"keyName": "key1"}).keys_property

    sent = recorder.sent[0]
    assert (sent.method, sent.path, sent.query) == (
        "POST", account_path(arm_env, group, name, "/regenerateKey"), {"api-version": STORAGE_API})
    assert json.loads(sent.body) == {"keyName": "key1"}
    assert recorder.statuses == [200]
    assert after[0].value != before[0].value and is_account_key(after[0].value)
    assert after[1].value == before[1].value, "key2 is untouched"
    with pytest.raises(ClientAuthenticationError):
        list(queue_service(arm_env, name, before[0].value).list_queues())
    list(queue_service(arm_env, name, after[0].value).list_queues())  # must not raise
    list(queue_service(arm_env, name, after[1].value).list_queues())  # must not raise


def test_account_delete_is_200_then_204_and_removes_the_data(resources, storage, recorder,
                                                             arm_env):
    resources.resource_groups.create_or_update("rg-delete", {"location": "eastus"})
    storage.storage_accounts.begin_create("rg-delete", "deletedacct", NEW_ACCOUNT).result()
    key = key1(storage, "rg-delete", "deletedacct")
    queue_service(arm_env, "deletedacct", key).create_queue("stale")
    blobs = BlobServiceClient(f"{arm_env.record.endpoints()['blob']}/deletedacct",
                              credential=AzureNamedKeyCredential("deletedacct", key))
    blobs.create_container("stale").upload_blob("a.txt", b"old")
    recorder.clear()

    storage.storage_accounts.delete("rg-delete", "deletedacct")
    storage.storage_accounts.delete("rg-delete", "deletedacct")

    assert [(s.method, s.path) for s in recorder.sent] == [
        ("DELETE", account_path(arm_env, "rg-delete", "deletedacct"))] * 2
    assert recorder.statuses == [200, 204]
    with pytest.raises(ResourceNotFoundError):
        storage.storage_accounts.get_properties("rg-delete", "deletedacct")

    storage.storage_accounts.begin_create("rg-delete", "deletedacct", NEW_ACCOUNT).result()
    new_key = key1(storage, "rg-delete", "deletedacct")
    assert new_key != key
    assert [q.name for q in queue_service(arm_env, "deletedacct", new_key).list_queues()] == []
    fresh_blobs = BlobServiceClient(f"{arm_env.record.endpoints()['blob']}/deletedacct",
                                    credential=AzureNamedKeyCredential("deletedacct", new_key))
    assert [c.name for c in fresh_blobs.list_containers()] == []


# Queues ------------------------------------------------------------------------------

def test_queue_created_through_management_is_real(storage, recorder, arm_env, shared_account):
    group, name = shared_account

    created = storage.queue.create(group, name, "mgmt-made",
                                   {"properties": {"metadata": {"team": "payments"}}})

    sent = recorder.sent[0]
    assert (sent.method, sent.path, sent.query) == (
        "PUT", account_path(arm_env, group, name, "/queueServices/default/queues/mgmt-made"),
        {"api-version": STORAGE_API})
    assert recorder.statuses == [200]
    assert created.id == account_path(arm_env, group, name,
                                      "/queueServices/default/queues/mgmt-made")
    assert (created.name, created.type) == (
        "mgmt-made", "Microsoft.Storage/storageAccounts/queueServices/queues")
    assert created.metadata == {"team": "payments"}
    # Azure's answer to the PUT holds only properties.metadata: no message count
    assert created.approximate_message_count is None
    data_plane = queue_service(arm_env, name, key1(storage, group, name))
    seen = {q.name: q.metadata for q in data_plane.list_queues(include_metadata=True)}
    assert seen["mgmt-made"] == {"team": "payments"}


def test_queues_from_the_data_plane_are_listed_and_counted(storage, recorder, arm_env,
                                                           shared_account):
    group, name = shared_account
    data_plane = queue_service(arm_env, name, key1(storage, group, name))
    queue = data_plane.create_queue("sdk-made", metadata={"origin": "data-plane"})
    queue.send_message("one")
    queue.send_message("two")
    recorder.clear()

    listed = {q.name: q.metadata for q in storage.queue.list(group, name)}
    fetched = storage.queue.get(group, name, "sdk-made")

    assert (recorder.sent[0].method, recorder.sent[0].path) == (
        "GET", account_path(arm_env, group, name, "/queueServices/default/queues"))
    assert listed["sdk-made"] == {"origin": "data-plane"}
    assert fetched.metadata == {"origin": "data-plane"}
    assert fetched.approximate_message_count == 2


def test_queue_update_list_pages_and_delete(storage, recorder, arm_env, shared_account):
    group, name = shared_account
    for queue in ("page-a", "page-b", "page-c"):
        storage.queue.create(group, name, queue, {})
    recorder.clear()

    updated = storage.queue.update(group, name, "page-a",
                                   {"properties": {"metadata": {"v": "2"}}})
    paged = [q.name for q in storage.queue.list(group, name, maxpagesize="2", filter="page-")]
    storage.queue.delete(group, name, "page-b")

    assert updated.metadata == {"v": "2"}
    assert paged == ["page-a", "page-b", "page-c"]
    lists = [s for s in recorder.sent if s.method == "GET"]
    assert lists[0].query == {"api-version": STORAGE_API, "$maxpagesize": ["2"],
                              "$filter": ["page-"]}
    assert "$skipToken" in lists[1].query, "the second page comes from nextLink"
    assert recorder.sent[-1].method == "DELETE" and recorder.statuses[-1] == 204
    with pytest.raises(ResourceNotFoundError) as missing:
        storage.queue.get(group, name, "page-b")
    assert missing.value.error.code == "QueueNotFound"


def test_identity_token_is_a_jwt_for_management(arm_env):
    header = arm_env.token().split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
