"""``queueServices/default``: the queue service's CORS rules through ARM, kept in Azurite.

Paths, api-versions and bodies as in Microsoft.Storage's REST specification (examples
QueueServicesGet/Put/List, 2023-05-01 and later); the unchanged ``StorageManagementClient``
sends and reads them; the data-plane SDK sees the same rules.
"""

from __future__ import annotations

import json

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.mgmt.storage.models import CorsRule, CorsRules, QueueServiceProperties
from azure.storage.queue import QueueServiceClient

from .arm_support import NEW_ACCOUNT

STORAGE_API = ["2026-09-01"]
RULE = {"allowedOrigins": ["http://www.contoso.com", "http://www.fabrikam.com"],
        "allowedMethods": ["GET", "HEAD", "POST", "OPTIONS", "MERGE", "PUT"],
        "maxAgeInSeconds": 100, "exposedHeaders": ["x-ms-meta-*"],
        "allowedHeaders": ["x-ms-meta-abc", "x-ms-meta-data*", "x-ms-meta-target*"]}


@pytest.fixture
def account(resources, storage):
    """A fresh account whose queue service no other test changes."""
    resources.resource_groups.create_or_update("rg-queue-services", {"location": "eastus"})
    storage.storage_accounts.begin_create("rg-queue-services", "qservices01",
                                          NEW_ACCOUNT).result()
    yield "rg-queue-services", "qservices01"
    storage.storage_accounts.delete("rg-queue-services", "qservices01")


def service_path(cloud, group: str, account: str, rest: str = "") -> str:
    return (f"/subscriptions/{cloud.subscription}/resourceGroups/{group}/providers/"
            f"Microsoft.Storage/storageAccounts/{account}/queueServices{rest}")


def data_plane(cloud, storage, group: str, account: str) -> QueueServiceClient:
    key = storage.storage_accounts.list_keys(group, account).keys_property[0].value
    return QueueServiceClient(f"{cloud.record.endpoints()['queue']}/{account}",
                              credential=AzureNamedKeyCredential(account, key))


def test_put_then_get_and_list_the_queue_service(storage, recorder, arm_env, account):
    group, name = account
    recorder.clear()
    sent = QueueServiceProperties(cors=CorsRules(cors_rules=[CorsRule(
        allowed_origins=RULE["allowedOrigins"], allowed_methods=RULE["allowedMethods"],
        max_age_in_seconds=100, exposed_headers=RULE["exposedHeaders"],
        allowed_headers=RULE["allowedHeaders"])]))

    put = storage.queue_services.set_service_properties(group, name, sent)
    got = storage.queue_services.get_service_properties(group, name)
    listed = storage.queue_services.list(group, name)

    assert [(s.method, s.path, s.query) for s in recorder.sent] == [
        ("PUT", service_path(arm_env, group, name, "/default"), {"api-version": STORAGE_API}),
        ("GET", service_path(arm_env, group, name, "/default"), {"api-version": STORAGE_API}),
        ("GET", service_path(arm_env, group, name), {"api-version": STORAGE_API}),
    ]
    assert recorder.statuses == [200, 200, 200]
    assert json.loads(recorder.sent[0].body) == {"properties": {"cors": {"corsRules": [RULE]}}}
    for service in (put, got, *listed.value):
        assert (service.id, service.name, service.type) == (
            service_path(arm_env, group, name, "/default"), "default",
            "Microsoft.Storage/storageAccounts/queueServices")
        rule = service.cors.cors_rules[0]
        assert (rule.allowed_origins, rule.allowed_methods, rule.max_age_in_seconds) == (
            RULE["allowedOrigins"], RULE["allowedMethods"], 100)
        assert (rule.exposed_headers, rule.allowed_headers) == (
            RULE["exposedHeaders"], RULE["allowedHeaders"])
    assert len(listed.value) == 1


def test_the_rules_are_the_data_planes_both_ways(storage, arm_env, account):
    group, name = account
    rules = QueueServiceProperties(cors=CorsRules(cors_rules=[CorsRule(
        allowed_origins=["*"], allowed_methods=["GET"], max_age_in_seconds=2,
        exposed_headers=["*"], allowed_headers=["*"])]))
    storage.queue_services.set_service_properties(group, name, rules)
    data = data_plane(arm_env, storage, group, name)

    seen = data.get_service_properties()["cors"]
    assert [(r.allowed_origins, r.allowed_methods, r.max_age_in_seconds) for r in seen] == [
        ("*", "GET", 2)]

    data.set_service_properties(cors=[])
    assert storage.queue_services.get_service_properties(group, name).cors.cors_rules == []


def test_a_put_without_cors_keeps_the_rules_and_an_empty_list_clears_them(arm_env, storage,
                                                                          account):
    group, name = account
    path = service_path(arm_env, group, name, "/default")
    params = {"api-version": "2023-05-01"}
    arm_env.raw("PUT", path, params=params,
                json={"properties": {"cors": {"corsRules": [RULE]}}}).raise_for_status()

    kept = arm_env.raw("PUT", path, params=params, json={"properties": {}})
    assert kept.status_code == 200
    assert kept.json()["properties"]["cors"]["corsRules"] == [RULE]

    cleared = arm_env.raw("PUT", path, params=params,
                          json={"properties": {"cors": {"corsRules": []}}})
    assert cleared.status_code == 200
    assert cleared.json() == {
        "id": path, "name": "default", "type": "Microsoft.Storage/storageAccounts/queueServices",
        "properties": {"cors": {"corsRules": []}}}


@pytest.mark.parametrize(("rule", "says"), [
    ({**RULE, "allowedMethods": ["FETCH"]}, "allowedMethods' has 'FETCH'"),
    ({k: v for k, v in RULE.items() if k != "allowedOrigins"}, "allowedOrigins' is required"),
    ({**RULE, "maxAgeInSeconds": "100"}, "maxAgeInSeconds' must be an integer"),
    ({**RULE, "allowedHeaders": "*"}, "allowedHeaders' must be an array of strings"),
])
def test_bad_rules_are_invalid_request_content(arm_env, shared_account, rule, says):
    group, name = shared_account
    response = arm_env.raw("PUT", service_path(arm_env, group, name, "/default"),
                           params={"api-version": "2023-05-01"},
                           json={"properties": {"cors": {"corsRules": [rule]}}})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestContent"
    assert says in response.json()["error"]["message"]


def test_an_account_that_is_not_there_is_404(storage, shared_account):
    group, _ = shared_account
    with pytest.raises(HttpResponseError) as caught:
        storage.queue_services.get_service_properties(group, "nosuchaccount9")
    assert (caught.value.status_code, caught.value.error.code) == (404, "ResourceNotFound")
