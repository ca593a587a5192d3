"""Role assignments and built-in role definitions, driven by azure-mgmt-authorization.

The SDK calls are what a notebook makes; raw HTTP pins the exact status codes and error
bodies. "My principal id" is found as on Azure: the ``oid`` claim of the credential's token.
"""

from __future__ import annotations

import json
import uuid

import jwt
import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.identity import DefaultAzureCredential
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

from localcloud.management.arm import AUTHORIZATION

from .arm_support import NEW_ACCOUNT, LocalCloud, resource_client, storage_client

API = "2022-04-01"  # what azure-mgmt-authorization 4.0.0 sends
QUEUE_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
LAB_ROLES = {
    "Storage Queue Data Contributor": QUEUE_CONTRIBUTOR,
    "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
    "Storage Queue Data Message Sender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "Storage Queue Data Message Processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
}
AUTH = {"api-version": API}


def my_principal_id() -> str:
    """What a notebook does on Azure too: the oid claim of the signed-in identity's token."""
    token = DefaultAzureCredential().get_token("https://management.azure.com/.default").token
    return jwt.decode(token, options={"verify_signature": False})["oid"]


def role_id(cloud: LocalCloud, guid: str) -> str:
    return f"/subscriptions/{cloud.subscription}/providers/Microsoft.Authorization/" \
           f"roleDefinitions/{guid}"


def scopes(cloud: LocalCloud, group: str, account: str) -> dict[str, str]:
    sub = f"/subscriptions/{cloud.subscription}"
    account_scope = (f"{sub}/resourceGroups/{group}/providers/Microsoft.Storage/"
                     f"storageAccounts/{account}")
    return {"subscription": sub, "group": f"{sub}/resourceGroups/{group}",
            "account": account_scope,
            "queue": f"{account_scope}/queueServices/default/queues/orders"}


def assign(authorization, scope: str, role: str, principal: str, name: str | None = None):
    return authorization.role_assignments.create(
        scope, name or str(uuid.uuid4()),
        RoleAssignmentCreateParameters(role_definition_id=role, principal_id=principal,
                                       principal_type="ServicePrincipal"))


def names(assignments) -> set[str]:
    return {a.name for a in assignments}


def test_the_sdk_default_api_version_is_accepted():
    assert AUTHORIZATION.api_versions[0] == API


def test_built_in_role_definitions(authorization, recorder, arm_env):
    sub = f"/subscriptions/{arm_env.subscription}"
    found = list(authorization.role_definitions.list(
        sub, filter="roleName eq 'Storage Queue Data Contributor'"))
    sent = recorder.sent[-1]
    assert sent.path == f"{sub}/providers/Microsoft.Authorization/roleDefinitions"
    assert sent.query == {"api-version": [API],
                          "$filter": ["roleName eq 'Storage Queue Data Contributor'"]}
    assert [(d.name, d.id, d.role_name, d.role_type) for d in found] == [(
        QUEUE_CONTRIBUTOR, role_id(arm_env, QUEUE_CONTRIBUTOR), "Storage Queue Data Contributor",
        "BuiltInRole")]
    assert found[0].permissions[0].data_actions == [
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete",
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read",
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/write",
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action"]

    every = {d.role_name: d.name for d in authorization.role_definitions.list(sub)}
    assert every == LAB_ROLES
    processor = authorization.role_definitions.get(sub, LAB_ROLES[
        "Storage Queue Data Message Processor"])
    assert processor.permissions[0].data_actions == [
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read",
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action"]
    assert processor.permissions[0].actions == []

    by_id = authorization.role_definitions.get_by_id(role_id(arm_env, LAB_ROLES["Reader"]))
    assert (by_id.role_name, by_id.permissions[0].actions) == ("Reader", ["*/read"])
    tenant = authorization.role_definitions.get_by_id(
        f"/providers/Microsoft.Authorization/roleDefinitions/{LAB_ROLES['Owner']}")
    assert tenant.id == f"/providers/Microsoft.Authorization/roleDefinitions/{LAB_ROLES['Owner']}"

    with pytest.raises(ResourceNotFoundError) as missing:
        authorization.role_definitions.get(sub, str(uuid.UUID(int=7)))
    assert (missing.value.status_code, missing.value.error.code) == (
        404, "RoleDefinitionDoesNotExist")


def test_assign_get_list_and_delete_at_an_account(authorization, recorder, arm_env,
                                                  shared_account):
    group, account = shared_account
    where = scopes(arm_env, group, account)
    principal = my_principal_id()
    role = role_id(arm_env, QUEUE_CONTRIBUTOR)
    name = str(uuid.uuid4())

    created = assign(authorization, where["account"], role, principal, name)
    sent = recorder.sent[-1]
    assert (sent.method, sent.path, sent.query) == (
        "PUT", f"{where['account']}/providers/Microsoft.Authorization/roleAssignments/{name}",
        {"api-version": [API]})
    assert json.loads(sent.body) == {"properties": {
        "roleDefinitionId": role, "principalId": principal, "principalType": "ServicePrincipal"}}
    assert recorder.statuses[-1] == 201
    assert (created.id, created.name, created.type) == (
        f"{where['account']}/providers/Microsoft.Authorization/roleAssignments/{name}", name,
        "Microsoft.Authorization/roleAssignments")
    assert (created.scope, created.role_definition_id, created.principal_id) == (
        where["account"], role, principal)
    assert created.created_by == principal, "the caller is recorded"

    fetched = authorization.role_assignments.get(where["account"], name)
    assert (fetched.id, fetched.created_on) == (created.id, created.created_on)

    again = assign(authorization, where["account"], role, principal, name)
    assert recorder.statuses[-1] == 200, "the same assignment again is 200, not a duplicate"
    assert again.created_on == created.created_on

    at_account = names(authorization.role_assignments.list_for_scope(
        where["account"], filter="atScope()"))
    assert name in at_account
    assert recorder.sent[-1].query["$filter"] == ["atScope()"]
    assert name in names(authorization.role_assignments.list_for_scope(
        where["queue"], filter="atScope()")), "an account's assignment applies to its queues"
    assert name not in names(authorization.role_assignments.list_for_resource_group(
        group, filter="atScope()")), "atScope() does not look below the scope"
    assert name in names(authorization.role_assignments.list_for_resource_group(group)), \
        "without a filter the list includes assignments below the scope"
    assert name in names(authorization.role_assignments.list_for_subscription(
        filter=f"principalId eq '{principal}'"))
    assert name not in names(authorization.role_assignments.list_for_subscription(
        filter=f"principalId eq '{uuid.UUID(int=9)}'"))

    deleted = authorization.role_assignments.delete(where["account"], name)
    assert (deleted.name, recorder.statuses[-1]) == (name, 200)
    assert authorization.role_assignments.delete(where["account"], name) is None
    assert recorder.statuses[-1] == 204
    with pytest.raises(ResourceNotFoundError) as missing:
        authorization.role_assignments.get(where["account"], name)
    assert (missing.value.status_code, missing.value.error.code) == (
        404, "RoleAssignmentNotFound")


def test_the_same_grant_under_another_name_is_409(authorization, arm_env, shared_account):
    group, account = shared_account
    where = scopes(arm_env, group, account)
    role = role_id(arm_env, LAB_ROLES["Storage Queue Data Reader"])
    first = assign(authorization, where["queue"], role, my_principal_id())
    try:
        with pytest.raises(ResourceExistsError) as caught:
            assign(authorization, where["queue"], role, my_principal_id())
        assert (caught.value.status_code, caught.value.error.code) == (
            409, "RoleAssignmentExists")
        assert caught.value.error.message == (
            f"The role assignment already exists. The ID of the existing role assignment is "
            f"{first.name.replace('-', '')}.")
        other_role = role_id(arm_env, LAB_ROLES["Storage Queue Data Message Sender"])
        assign(authorization, where["queue"], other_role, my_principal_id())  # control
    finally:
        for held in authorization.role_assignments.list_for_scope(where["queue"],
                                                                  filter="atScope()"):
            if held.scope == where["queue"]:
                authorization.role_assignments.delete_by_id(held.id)


def test_bad_requests_get_arm_error_bodies(arm_env, shared_account):
    group, account = shared_account
    where = scopes(arm_env, group, account)
    principal = my_principal_id()  # the lab identity: principalType ServicePrincipal
    role = role_id(arm_env, QUEUE_CONTRIBUTOR)

    def put(scope: str, properties: dict, name: str | None = None):
        path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/" \
               f"{name or uuid.uuid4()}"
        return arm_env.raw("PUT", path, params=AUTH, json={"properties": properties})

    cases = [
        (put(where["account"], {"roleDefinitionId": role, "principalId": "me"}),
         400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment."),
        (put(where["account"], {"roleDefinitionId": "Storage Queue Data Contributor",
                                "principalId": principal}),
         400, "InvalidRoleDefinitionId", None),
        (put(where["account"], {"roleDefinitionId": role_id(arm_env, str(uuid.UUID(int=5))),
                                "principalId": principal}),
         400, "RoleDefinitionDoesNotExist",
         f"The specified role definition with ID '{uuid.UUID(int=5)}' does not exist."),
        (put(where["account"], {"roleDefinitionId": role, "principalId": principal},
             name="not-a-guid"),
         400, "InvalidRoleAssignmentId", None),
        (put(f"{where['subscription']}/resourceGroups/rg-nowhere",
             {"roleDefinitionId": role, "principalId": principal}),
         404, "ResourceGroupNotFound", "Resource group 'rg-nowhere' could not be found."),
        (put(f"{where['group']}/providers/Microsoft.Storage/storageAccounts/nosuchacct",
             {"roleDefinitionId": role, "principalId": principal}),
         404, "ResourceNotFound", None),
        (arm_env.raw("GET", f"{where['account']}/providers/Microsoft.Authorization/"
                            f"roleAssignments", params={**AUTH, "$filter": "roleName eq 'x'"}),
         400, "UnsupportedQuery", None),
        (arm_env.raw("GET", f"{where['account']}/providers/Microsoft.Authorization/"
                            f"roleAssignments/{uuid.uuid4()}", params=AUTH),
         404, "RoleAssignmentNotFound", None),
        (arm_env.raw("GET", f"{where['account']}/providers/Microsoft.Authorization/"
                            f"roleAssignments", params={"api-version": "2099-01-01"}),
         400, "NoRegisteredProviderFound", None),
    ]
    for response, status, code, message in cases:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), code
        if message:
            assert response.json()["error"]["message"] == message

    name = str(uuid.uuid4())
    created = put(where["account"], {"roleDefinitionId": role, "principalId": principal,
                                     "description": "lab reader"}, name=name)
    assert created.status_code == 201
    assert created.json() == {
        "properties": {
            "roleDefinitionId": role, "principalId": principal,
            "principalType": "ServicePrincipal", "scope": where["account"],
            "condition": None, "conditionVersion": None,
            "createdOn": created.json()["properties"]["createdOn"],
            "updatedOn": created.json()["properties"]["updatedOn"],
            "createdBy": principal, "updatedBy": principal,
            "delegatedManagedIdentityResourceId": None, "description": "lab reader"},
        "id": f"{where['account']}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": name,
    }
    moved = put(where["queue"], {"roleDefinitionId": role, "principalId": principal}, name=name)
    assert (moved.status_code, moved.json()["error"]["code"]) == (
        400, "RoleAssignmentUpdateNotPermitted")
    deleted = arm_env.raw("DELETE", created.json()["id"], params=AUTH)
    assert (deleted.status_code, deleted.json()["name"]) == (200, name)

    tenant = arm_env.raw("GET", "/providers/Microsoft.Authorization/roleAssignments",
                         params=AUTH)
    assert tenant.status_code == 404, "no role assignments at the tenant root"


def test_deleting_an_account_or_group_removes_assignments_under_it(authorization, arm_env):
    resource_client(arm_env).resource_groups.create_or_update("rg-Rbac", {"location": "eastus"})
    storage = storage_client(arm_env)
    storage.storage_accounts.begin_create("rg-rbac", "rbacacct01", NEW_ACCOUNT).result()
    where = scopes(arm_env, "rg-Rbac", "rbacacct01")
    principal = my_principal_id()
    role = role_id(arm_env, QUEUE_CONTRIBUTOR)
    held = {level: assign(authorization, where[level], role, principal).name
            for level in ("subscription", "group", "account", "queue")}

    def remaining() -> set[str]:
        return names(authorization.role_assignments.list_for_subscription(
            filter=f"principalId eq '{principal}'")) & set(held.values())

    try:
        assert remaining() == set(held.values())
        storage.storage_accounts.delete("rg-rbac", "rbacacct01")
        assert remaining() == {held["subscription"], held["group"]}
        storage.storage_accounts.begin_create("rg-rbac", "rbacacct01", NEW_ACCOUNT).result()
        assert remaining() == {held["subscription"], held["group"]}, "nothing comes back"

        resource_client(arm_env).resource_groups.begin_delete("rg-rbac").result()
        assert remaining() == {held["subscription"]}
    finally:
        authorization.role_assignments.delete(where["subscription"], held["subscription"])


def test_an_unknown_principal_type_or_body_is_invalid_content(arm_env, shared_account):
    group, account = shared_account
    scope = scopes(arm_env, group, account)["account"]
    path = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{uuid.uuid4()}"
    for body in ({"properties": {"roleDefinitionId": role_id(arm_env, QUEUE_CONTRIBUTOR),
                                 "principalId": str(uuid.UUID(int=1)),
                                 "principalType": "Robot"}},
                 {"properties": "everything"}, {}):
        response = arm_env.raw("PUT", path, params=AUTH, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (
            400, "InvalidRequestContent"), body


def test_sdk_errors_are_http_response_errors(authorization, arm_env, shared_account):
    """A learner's except clause sees the ARM code on the SDK's error."""
    group, account = shared_account
    scope = scopes(arm_env, group, account)["account"]
    with pytest.raises(HttpResponseError) as caught:
        assign(authorization, scope, role_id(arm_env, QUEUE_CONTRIBUTOR), "not-a-guid")
    assert (caught.value.status_code, caught.value.error.code) == (400, "InvalidPrincipalId")
