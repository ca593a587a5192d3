"""Subscriptions (what ``az login`` lists) and the Microsoft Graph stand-in (403, as Graph
answers an identity without directory permissions).

Subscriptions - List / Get, api-version 2022-12-01 (the Azure CLI's):
https://learn.microsoft.com/rest/api/resources/subscriptions/list
Graph's error shape: https://learn.microsoft.com/graph/errors
"""

from __future__ import annotations

import pytest
import requests

import localcloud

SUBSCRIPTION_BODY_KEYS = {"id", "authorizationSource", "managedByTenants", "subscriptionId",
                          "tenantId", "displayName", "state", "subscriptionPolicies"}


def test_the_list_has_the_local_clouds_subscription_in_its_tenant(arm_env):
    response = arm_env.raw("GET", "/subscriptions", params={"api-version": "2022-12-01"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == {"type": "Total", "value": 1}
    [subscription] = body["value"]
    assert set(subscription) == SUBSCRIPTION_BODY_KEYS
    assert subscription["id"] == f"/subscriptions/{localcloud.SUBSCRIPTION_ID}"
    assert subscription["subscriptionId"] == localcloud.SUBSCRIPTION_ID
    assert subscription["tenantId"] == localcloud.TENANT_ID
    assert subscription["state"] == "Enabled"


def test_get_answers_for_the_subscription_asked(arm_env):
    response = arm_env.raw("GET", f"/subscriptions/{arm_env.subscription}",
                           params={"api-version": "2022-12-01"})
    assert response.status_code == 200
    assert response.json()["subscriptionId"] == arm_env.subscription
    assert set(response.json()) == SUBSCRIPTION_BODY_KEYS


@pytest.mark.parametrize(("path", "params", "status", "code"), [
    ("/subscriptions", {}, 400, "MissingApiVersionParameter"),
    ("/subscriptions", {"api-version": "2099-01-01"}, 400, "InvalidApiVersionParameter"),
    ("/subscriptions/not-a-guid", {"api-version": "2022-12-01"}, 400, "InvalidSubscriptionId"),
])
def test_bad_requests_get_arms_errors(arm_env, path, params, status, code):
    response = arm_env.raw("GET", path, params=params)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_the_list_needs_a_management_token(arm_env):
    response = arm_env.raw("GET", "/subscriptions", token=None,
                           params={"api-version": "2022-12-01"})
    assert (response.status_code, response.json()["error"]["code"]) == (
        401, "AuthenticationFailed")


def graph_token(cloud) -> str:
    env = cloud.environment()
    response = requests.get(
        env["IDENTITY_ENDPOINT"],
        params={"api-version": "2019-08-01", "resource": f"{cloud.management_url}/graph/"},
        headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]},
        verify=cloud.record.ca_bundle, timeout=10)
    response.raise_for_status()
    return response.json()["access_token"]


def test_graph_refuses_a_reader_with_a_token_for_it_as_graph_does(arm_env):
    response = arm_env.raw("POST", "/graph/v1.0/directoryObjects/getByIds",
                           token=f"Bearer {graph_token(arm_env)}",
                           json={"ids": [localcloud.PRINCIPAL_ID], "types": ["servicePrincipal"]})
    assert response.status_code == 403
    assert response.json() == {"error": {
        "code": "Authorization_RequestDenied",
        "message": "Insufficient privileges to complete the operation."}}
    assert "x-ms-request-id" not in response.headers, "Graph is not ARM"


@pytest.mark.parametrize("token", [None, "management"])
def test_graph_wants_a_token_for_its_own_audience(arm_env, token):
    sent = None if token is None else f"Bearer {arm_env.token()}"
    response = arm_env.raw("GET", "/graph/v1.0/servicePrincipals", token=sent)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
