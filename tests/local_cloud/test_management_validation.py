"""Hostile input gets ARM's 4xx answers, never a 500, a dropped connection or a saved mess.

Raw HTTP, because the SDKs never send these bodies. Every test here also checks that the
daemon's log shows no internal error for what it sent.
"""

from __future__ import annotations

import concurrent.futures

import pytest

from .arm_support import NEW_ACCOUNT, SHARED_GROUP, LocalCloud

STORAGE = {"api-version": "2025-06-01"}
RESOURCES = {"api-version": "2025-04-01"}
DEEP = "[" * 10_000 + "]" * 10_000
FOUR_MIB = 4 * 1024 * 1024


@pytest.fixture(autouse=True)
def no_internal_errors(local_cloud: LocalCloud):
    """Fail the test if the daemon logged a traceback while it ran."""
    log = local_cloud.folder.logs / "localcloud.log"
    start = log.stat().st_size if log.exists() else 0
    yield
    with log.open("rb") as handle:
        handle.seek(start)
        written = handle.read().decode("utf-8", "replace")
    assert "Traceback" not in written, f"the daemon logged an internal error:\n{written[-3000:]}"


def account_path(cloud: LocalCloud, group: str, name: str) -> str:
    return (f"/subscriptions/{cloud.subscription}/resourceGroups/{group}/providers/"
            f"Microsoft.Storage/storageAccounts/{name}")


def group_path(cloud: LocalCloud, group: str) -> str:
    return f"/subscriptions/{cloud.subscription}/resourcegroups/{group}"


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_sku_as_a_string_is_invalid_content(arm_env, shared_account):
    group, account = shared_account
    path = account_path(arm_env, group, account)
    put = arm_env.raw("PUT", path, params=STORAGE, json={**NEW_ACCOUNT, "sku": "Standard_LRS"})
    assert error_of(put) == (400, "InvalidRequestContent")
    assert "'sku' must be an object" in put.json()["error"]["message"]
    patch = arm_env.raw("PATCH", path, params=STORAGE, json={"sku": "Standard_LRS"})
    assert error_of(patch) == (400, "InvalidRequestContent")
    control = arm_env.raw("PATCH", path, params=STORAGE, json={"sku": {"name": "Standard_LRS"}})
    assert control.status_code == 200


@pytest.mark.parametrize("target", ["account-put", "account-patch", "group-put",
                                    "check-name", "regenerate-key"])
def test_ten_thousand_deep_json_is_invalid_content(arm_env, shared_account, target):
    group, account = shared_account
    sub = f"/subscriptions/{arm_env.subscription}"
    method, path, params = {
        "account-put": ("PUT", account_path(arm_env, group, account), STORAGE),
        "account-patch": ("PATCH", account_path(arm_env, group, account), STORAGE),
        "group-put": ("PUT", group_path(arm_env, "rg-deep"), RESOURCES),
        "check-name": ("POST", f"{sub}/providers/Microsoft.Storage/checkNameAvailability",
                       STORAGE),
        "regenerate-key": ("POST", account_path(arm_env, group, account) + "/regenerateKey",
                           STORAGE),
    }[target]
    response = arm_env.raw(method, path, params=params, data='{"location": ' + DEEP + "}",
                           headers={"Content-Type": "application/json"})
    assert error_of(response) == (400, "InvalidRequestContent")
    assert "nested deeper than 64 levels" in response.json()["error"]["message"]


def test_moderately_deep_properties_are_refused_and_nothing_is_saved(arm_env, shared_account):
    """Deep enough to parse, too deep to be anything ARM accepts: refused before it is stored
    (a stored 200-deep value used to make every later save of the state file fail)."""
    group, account = shared_account
    path = account_path(arm_env, group, account)
    deep = {}
    for _ in range(200):
        deep = {"x": deep}
    response = arm_env.raw("PATCH", path, params=STORAGE, json={"properties": {"extra": deep}})
    assert error_of(response) == (400, "InvalidRequestContent")
    assert "extra" not in arm_env.raw("GET", path, params=STORAGE).json()["properties"]


def test_network_acls_must_be_an_object(arm_env, shared_account):
    group, account = shared_account
    path = account_path(arm_env, group, account)
    before = arm_env.raw("GET", path, params=STORAGE).json()["properties"]["networkAcls"]
    for acls in ([1], {"defaultAction": "Maybe"}, {"ipRules": "10.0.0.1"},
                 {"ipRules": [{"value": 5}]}, {"bypass": ["AzureServices"]}):
        response = arm_env.raw("PATCH", path, params=STORAGE,
                               json={"properties": {"networkAcls": acls}})
        assert error_of(response) == (400, "InvalidRequestContent"), acls
        assert "networkAcls" in response.json()["error"]["message"]
    after = arm_env.raw("GET", path, params=STORAGE).json()["properties"]["networkAcls"]
    assert after == before, "a refused PATCH changes nothing"

    control = arm_env.raw("PATCH", path, params=STORAGE, json={"properties": {"networkAcls": {
        "defaultAction": "Allow", "bypass": "AzureServices",
        "ipRules": [{"value": "203.0.113.7", "action": "Allow"}], "virtualNetworkRules": []}}})
    assert control.status_code == 200
    assert control.json()["properties"]["networkAcls"]["ipRules"] == [
        {"value": "203.0.113.7", "action": "Allow"}]


def test_property_types_are_checked(arm_env, shared_account):
    group, account = shared_account
    path = account_path(arm_env, group, account)
    for properties in ({"allowBlobPublicAccess": "no"}, {"minimumTlsVersion": 12},
                       {"accessTier": "Lukewarm"}, {"encryption": "on"}):
        response = arm_env.raw("PATCH", path, params=STORAGE, json={"properties": properties})
        assert error_of(response) == (400, "InvalidRequestContent"), properties


def test_errors_quote_huge_values_briefly(arm_env, shared_account):
    group, account = shared_account
    huge = "x" * 1_000_000
    answers = [
        arm_env.raw("PUT", group_path(arm_env, "rg-huge-location"), params=RESOURCES,
                    json={"location": huge}),
        arm_env.raw("PATCH", account_path(arm_env, group, account), params=STORAGE,
                    json={"sku": {"name": huge}}),
        arm_env.raw("POST", account_path(arm_env, group, account) + "/regenerateKey",
                    params=STORAGE, json={"keyName": huge}),
    ]
    for response in answers:
        assert response.status_code == 400
        assert len(response.json()["error"]["message"]) < 400


def test_resource_group_managed_by_must_be_a_string(arm_env):
    response = arm_env.raw("PUT", group_path(arm_env, "rg-managed"), params=RESOURCES,
                           json={"location": "eastus", "managedBy": {"x": [1]}})
    assert error_of(response) == (400, "InvalidRequestContent")


def test_queue_properties_must_be_an_object(arm_env, shared_account):
    group, account = shared_account
    path = account_path(arm_env, group, account) + "/queueServices/default/queues/badbody"
    response = arm_env.raw("PUT", path, params=STORAGE, json={"properties": [1]})
    assert error_of(response) == (400, "InvalidRequestContent")


# ------------------------------------------------------------------------------- size


def test_a_body_over_four_mib_is_413(arm_env):
    """ARM refuses requests over 4,194,304 bytes (Azure Resource Manager limits)."""
    body = '{"location": "eastus", "tags": {"big": "' + "x" * FOUR_MIB + '"}}'
    response = arm_env.raw("PUT", group_path(arm_env, "rg-huge"), params=RESOURCES,
                           data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"error": {
        "code": "RequestContentTooLarge",
        "message": "The request content size exceeds the maximum size of 4 MB."}}
    assert arm_env.raw("GET", group_path(arm_env, "rg-huge"), params=RESOURCES) \
        .status_code == 404, "nothing was saved"


def test_a_chunked_body_over_four_mib_is_413(arm_env):
    """Without a Content-Length the body is counted as it arrives."""
    def chunks():
        yield b'{"location": "eastus", "tags": {"big": "'
        for _ in range(5):
            yield b"x" * (1024 * 1024)
        yield b'"}}'

    response = arm_env.raw("PUT", group_path(arm_env, "rg-chunked"), params=RESOURCES,
                           data=chunks(), headers={"Content-Type": "application/json"})
    assert error_of(response) == (413, "RequestContentTooLarge")


# ------------------------------------------------------------------------------- tags


def tags_of(count: int, name_length: int = 3, value_length: int = 1) -> dict[str, str]:
    return {f"{i:0{name_length}d}": "v" * value_length for i in range(count)}


def test_resource_group_tag_limits(arm_env):
    """50 tags; names up to 512 characters, values up to 256 (tag-resources#limitations)."""
    path = group_path(arm_env, "rg-tags")
    cases = {
        "InvalidTags": tags_of(51),
        "InvalidTagName": tags_of(1, name_length=513),
        "InvalidTagValueLength": tags_of(1, value_length=257),
        "InvalidTagNameCharacters": {"team/owner": "x"},
    }
    for code, tags in cases.items():
        response = arm_env.raw("PUT", path, params=RESOURCES,
                               json={"location": "eastus", "tags": tags})
        assert error_of(response) == (400, code), code
    empty = arm_env.raw("PUT", path, params=RESOURCES, json={"location": "eastus",
                                                             "tags": {"": "x"}})
    assert error_of(empty) == (400, "InvalidTagName")
    huge = arm_env.raw("PUT", path, params=RESOURCES, json={"location": "eastus",
                                                            "tags": {"n" * 100_000: "x"}})
    assert error_of(huge) == (400, "InvalidTagName")
    assert len(huge.json()["error"]["message"]) < 400, "the message quotes a short prefix"
    fine = {**tags_of(49, name_length=512), "x": "v" * 256}
    response = arm_env.raw("PUT", path, params=RESOURCES, json={"location": "eastus",
                                                                "tags": fine})
    assert response.status_code == 201
    assert response.json()["tags"] == fine
    patch = arm_env.raw("PATCH", path, params=RESOURCES, json={"tags": tags_of(51)})
    assert error_of(patch) == (400, "InvalidTags")


def test_storage_account_tag_names_are_at_most_128_characters(arm_env, shared_account):
    group, account = shared_account
    path = account_path(arm_env, group, account)
    response = arm_env.raw("PATCH", path, params=STORAGE, json={"tags": tags_of(1, 129)})
    assert error_of(response) == (400, "InvalidTagName")
    assert "'128' characters" in response.json()["error"]["message"]
    response = arm_env.raw("PATCH", path, params=STORAGE, json={"tags": tags_of(51)})
    assert error_of(response) == (400, "InvalidTags")
    fine = tags_of(50, name_length=128, value_length=256)
    response = arm_env.raw("PATCH", path, params=STORAGE, json={"tags": fine})
    assert response.status_code == 200
    assert response.json()["tags"] == fine
    arm_env.raw("PATCH", path, params=STORAGE, json={"tags": {}})


# ------------------------------------------------------------------------- concurrency


def test_twelve_parallel_deletes_of_one_account(arm_env):
    sub = f"/subscriptions/{arm_env.subscription}"
    assert arm_env.raw("PUT", f"{sub}/resourcegroups/rg-race", params=RESOURCES,
                       json={"location": "eastus"}).status_code in (200, 201)
    path = account_path(arm_env, "rg-race", "raceacct01")
    created = arm_env.raw("PUT", path, params=STORAGE, json=NEW_ACCOUNT)
    assert created.status_code == 202
    token = f"Bearer {arm_env.token()}"

    def delete(_):
        return arm_env.raw("DELETE", path, token=token, params=STORAGE).status_code

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(delete, range(12)))
    assert statuses == [200] + [204] * 11
    assert arm_env.raw("GET", path, params=STORAGE).status_code == 404


def test_shared_group_is_untouched(arm_env, shared_account):
    """Control: the shared account the tests above poked still answers normally."""
    group, account = shared_account
    assert group == SHARED_GROUP
    response = arm_env.raw("GET", account_path(arm_env, group, account), params=STORAGE)
    assert response.status_code == 200
    assert response.json()["sku"] == {"name": "Standard_LRS", "tier": "Standard"}
