"""Errors as ARM writes them: status code and ``error.code`` as the SDKs surface them."""

from __future__ import annotations

import base64
import json

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.mgmt.resource.resources import ResourceManagementClient

from .arm_support import NEW_ACCOUNT, resource_client, storage_client

OTHER_SUBSCRIPTION = "00000000-0000-4000-8000-00000000beef"


def fails(call, *args, **kwargs) -> HttpResponseError:
    """Run an SDK call that must fail (waiting for pollers, reading pagers); return the error."""
    with pytest.raises(HttpResponseError) as caught:
        result = call(*args, **kwargs)
        if hasattr(result, "result"):  # an LROPoller
            result.result()
        elif hasattr(result, "by_page"):  # an ItemPaged
            list(result)
    return caught.value


def test_invalid_resource_group_names_are_refused(resources):
    error = fails(resources.resource_groups.create_or_update, "bad name!", {"location": "eastus"})
    assert (error.status_code, error.error.code) == (400, "InvalidResourceGroup")
    assert "has these invalid characters: ' !'" in error.error.message
    error = fails(resources.resource_groups.create_or_update, "bad/name", {"location": "eastus"})
    assert error.error.code == "InvalidResourceGroup", "an encoded '/' stays in the name"
    for name in ("x" * 91, "ends-with-period."):
        error = fails(resources.resource_groups.create_or_update, name, {"location": "eastus"})
        assert (error.status_code, error.error.code) == (400, "InvalidResourceGroup"), name


def test_missing_resource_group(resources):
    for call in (resources.resource_groups.get, resources.resource_groups.begin_delete):
        error = fails(call, "rg-nowhere")
        assert isinstance(error, ResourceNotFoundError)
        assert (error.status_code, error.error.code) == (404, "ResourceGroupNotFound")
        assert error.error.message == "Resource group 'rg-nowhere' could not be found."
    error = fails(resources.resource_groups.update, "rg-nowhere", {"tags": {}})
    assert error.error.code == "ResourceGroupNotFound"


def test_resource_group_needs_a_location_and_keeps_it(resources):
    error = fails(resources.resource_groups.create_or_update, "rg-nolocation", {"tags": {}})
    assert (error.status_code, error.error.code) == (400, "LocationRequired")
    resources.resource_groups.create_or_update("rg-east", {"location": "eastus"})
    error = fails(resources.resource_groups.create_or_update, "rg-east", {"location": "westus"})
    assert (error.status_code, error.error.code) == (409, "InvalidResourceGroupLocation")


def test_invalid_account_names(storage, shared_account):
    group, _ = shared_account
    for name in ("Upper1234", "ab", "x" * 25, "has-hyphen"):
        error = fails(storage.storage_accounts.begin_create, group, name, NEW_ACCOUNT)
        assert (error.status_code, error.error.code) == (400, "AccountNameInvalid"), name
        assert error.error.message.startswith(f"{name} is not a valid storage account name.")


def test_account_in_a_missing_group(storage):
    error = fails(storage.storage_accounts.begin_create, "rg-ghost", "ghostacct", NEW_ACCOUNT)
    assert (error.status_code, error.error.code) == (404, "ResourceGroupNotFound")
    error = fails(storage.storage_accounts.list_by_resource_group, "rg-ghost")
    assert error.error.code == "ResourceGroupNotFound"


def test_account_name_taken_elsewhere(resources, storage, arm_env, shared_account):
    _, taken = shared_account
    resources.resource_groups.create_or_update("rg-second", {"location": "eastus"})

    error = fails(storage.storage_accounts.begin_create, "rg-second", taken, NEW_ACCOUNT)
    assert isinstance(error, ResourceExistsError)
    assert (error.status_code, error.error.code) == (409, "StorageAccountInAnotherResourceGroup")
    assert error.error.message == (f"The account {taken} is already in another resource group "
                                   f"in this subscription.")

    elsewhere = storage_client(arm_env, subscription=OTHER_SUBSCRIPTION)
    resource_client(arm_env, subscription=OTHER_SUBSCRIPTION).resource_groups.create_or_update(
        "rg-other-sub", {"location": "eastus"})
    error = fails(elsewhere.storage_accounts.begin_create, "rg-other-sub", taken, NEW_ACCOUNT)
    assert (error.status_code, error.error.code) == (409, "StorageAccountAlreadyTaken")
    assert error.error.message == f"The storage account named {taken} is already taken."


def test_recreating_an_account_in_another_location(storage, shared_account):
    group, name = shared_account
    error = fails(storage.storage_accounts.begin_create, group, name,
                  {**NEW_ACCOUNT, "location": "westeurope"})
    assert (error.status_code, error.error.code) == (409, "InvalidResourceLocation")


def test_bad_create_parameters(storage, shared_account):
    group, _ = shared_account
    for parameters in ({**NEW_ACCOUNT, "sku": {"name": "Gold_LRS"}},
                       {**NEW_ACCOUNT, "kind": "Tape"}):
        error = fails(storage.storage_accounts.begin_create, group, "badparams01", parameters)
        assert (error.status_code, error.error.code) == (400, "InvalidValuesForRequestParameters")
    error = fails(storage.storage_accounts.begin_create, group, "badparams01",
                  {"sku": {"name": "Standard_LRS"}, "kind": "StorageV2"})
    assert (error.status_code, error.error.code) == (400, "LocationRequired")


def test_missing_account(storage, shared_account):
    group, _ = shared_account
    calls = [
        (storage.storage_accounts.get_properties, (group, "nosuchacct")),
        (storage.storage_accounts.list_keys, (group, "nosuchacct")),
        (storage.storage_accounts.regenerate_key, (group, "nosuchacct", {"keyName": "key1"})),
        (storage.storage_accounts.update, (group, "nosuchacct", {"tags": {}})),
        (storage.queue.list, (group, "nosuchacct")),
    ]
    for call, args in calls:
        error = fails(call, *args)
        assert (error.status_code, error.error.code) == (404, "ResourceNotFound"), call
        assert error.error.message == (
            f"The Resource 'Microsoft.Storage/storageAccounts/nosuchacct' under resource group "
            f"'{group}' was not found. For more details please go to "
            f"https://aka.ms/ARMResourceNotFoundFix")


def test_regenerate_needs_key1_or_key2(storage, shared_account):
    group, name = shared_account
    error = fails(storage.storage_accounts.regenerate_key, group, name, {"keyName": "key3"})
    assert (error.status_code, error.error.code) == (400, "InvalidValuesForRequestParameters")


@pytest.mark.parametrize(("name", "code"), [
    ("ab", "OutOfRangeInput"),
    ("q" * 64, "OutOfRangeInput"),
    ("Orders", "InvalidResourceName"),
    ("under_score", "InvalidResourceName"),
    ("double--hyphen", "InvalidResourceName"),
    ("-leading", "InvalidResourceName"),
    ("trailing-", "InvalidResourceName"),
])
def test_invalid_queue_names(storage, shared_account, name, code):
    group, account = shared_account
    error = fails(storage.queue.create, group, account, name, {})
    assert (error.status_code, error.error.code) == (400, code)
    assert "Queue names are 3-63 lowercase letters" in error.error.message


def test_missing_queue(storage, shared_account):
    group, account = shared_account
    error = fails(storage.queue.get, group, account, "no-such-queue")
    assert (error.status_code, error.error.code) == (404, "QueueNotFound")
    error = fails(storage.queue.update, group, account, "no-such-queue", {})
    assert error.error.code == "QueueNotFound"


def test_unsupported_api_versions_list_the_supported_ones(arm_env, shared_account):
    group, account = shared_account
    resources = resource_client(arm_env, api_version="2099-01-01")
    storage = storage_client(arm_env, api_version="2099-01-01")

    error = fails(resources.resource_groups.get, group)
    assert (error.status_code, error.error.code) == (400, "InvalidApiVersionParameter")
    assert error.error.message.startswith("The api-version '2099-01-01' is invalid. The "
                                          "supported versions are '2025-04-01, ")

    error = fails(storage.storage_accounts.get_properties, group, account)
    assert (error.status_code, error.error.code) == (400, "NoRegisteredProviderFound")
    assert ("No registered resource provider found for location 'eastus' and API version "
            "'2099-01-01' for type 'storageAccounts'. The supported api-versions are "
            "'2026-09-01, ") in error.error.message


def test_missing_api_version(arm_env):
    response = arm_env.raw("GET", f"/subscriptions/{arm_env.subscription}/resourcegroups")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MissingApiVersionParameter"


def test_malformed_subscription(arm_env):
    response = arm_env.raw("GET", "/subscriptions/not-a-guid/resourcegroups",
                           params={"api-version": "2025-04-01"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidSubscriptionId"


def test_unknown_route_and_method(arm_env):
    sub = f"/subscriptions/{arm_env.subscription}"
    response = arm_env.raw("GET", f"{sub}/providers/Microsoft.Compute/virtualMachines",
                           params={"api-version": "2024-07-01"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NoRegisteredProviderFound"
    assert "no route for GET" in response.json()["error"]["message"]

    response = arm_env.raw("POST", f"{sub}/resourcegroups/rg-x",
                           params={"api-version": "2025-04-01"})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "MethodNotAllowed"


def test_no_or_malformed_bearer_token_is_401(arm_env):
    path = f"/subscriptions/{arm_env.subscription}/resourcegroups"
    params = {"api-version": "2025-04-01"}

    missing = arm_env.raw("GET", path, token=None, params=params)
    assert missing.status_code == 401
    assert missing.json() == {"error": {
        "code": "AuthenticationFailed",
        "message": "Authentication failed. The 'Authorization' header is missing."}}
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")

    for header in ("Bearer not-a-jwt", "Basic dXNlcjpwYXNz"):
        response = arm_env.raw("GET", path, token=header, params=params)
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] in ("InvalidAuthenticationToken",
                                                     "AuthenticationFailed")


class ForgedCredential:
    """A credential whose token the local cloud did not sign."""

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"aud": "https://management.azure.com/", "exp": 2**31}
        parts = [base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=")
                 for p in (header, claims)]
        return AccessToken(".".join([*parts, "c2lnbmF0dXJl"]), 2**31)


def test_sdk_sees_401_as_client_authentication_error(arm_env):
    client = ResourceManagementClient(ForgedCredential(), arm_env.subscription,
                                      base_url=arm_env.management_url)
    error = fails(client.resource_groups.list().next)
    assert isinstance(error, ClientAuthenticationError)
    assert (error.status_code, error.error.code) == (401, "InvalidAuthenticationToken")


def test_non_ascii_credentials_are_401_not_500(arm_env):
    """HTTP headers may carry any latin-1 byte; a bad token or identity header is still a
    401 (a comparison that only handles ASCII used to crash into a 500)."""
    path = f"/subscriptions/{arm_env.subscription}/resourcegroups"
    response = arm_env.raw("GET", path, token=None, params={"api-version": "2025-04-01"},
                           headers={"Authorization": "Bearer a.b.\xe9".encode("latin-1")})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"

    identity = arm_env.raw("GET", "/msi/token", token=None,
                           params={"api-version": "2019-08-01",
                                   "resource": "https://storage.azure.com"},
                           headers={"X-IDENTITY-HEADER": "\xe9".encode("latin-1")})
    assert identity.status_code == 401
