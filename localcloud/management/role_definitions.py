"""Built-in role definitions (Microsoft.Authorization/roleDefinitions): GET by id, LIST.

The roles the lab uses, with Microsoft's role definition ids and permissions copied from
Microsoft's built-in roles reference:
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage (the
storage data roles), .../built-in-roles/privileged (Owner, Contributor) and
.../built-in-roles/general (Reader). Custom roles are not served.

Worth knowing for the lessons: Storage Queue Data Message Processor may peek, receive and
delete (``messages/read`` and ``messages/process/action``) but not update a message
(``messages/write``, in Storage Queue Data Contributor); Message Sender may only add
(``messages/add/action``). Azurite does not check roles: on the local cloud these
definitions are for reading and assigning, not enforced.
"""

from __future__ import annotations

import re

from starlette.responses import JSONResponse, Response

from .arm import AUTHORIZATION
from .errors import RoleDefinitionDoesNotExist, UnsupportedQuery
from .naming import is_guid
from .routing import ArmRoute, Call, route
from .scopes import scope_of

DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
PROVIDER_PATH = "/providers/Microsoft.Authorization/roleDefinitions"

_QUEUES = "Microsoft.Storage/storageAccounts/queueServices/queues"
_BLOBS = "Microsoft.Storage/storageAccounts/blobServices"


def _role(guid: str, name: str, description: str, actions: list[str],
          data_actions: list[str], not_actions: list[str] | None = None) -> dict:
    return {"name": guid, "roleName": name, "description": description,
            "permissions": [{"actions": actions, "notActions": not_actions or [],
                             "dataActions": data_actions, "notDataActions": []}]}


BUILT_IN = [
    _role("974c5e8b-45b9-4653-ba55-5f855dd0fb88", "Storage Queue Data Contributor",
          "Allows for read, write, and delete access to Azure Storage queues and queue messages",
          [f"{_QUEUES}/delete", f"{_QUEUES}/read", f"{_QUEUES}/write"],
          [f"{_QUEUES}/messages/delete", f"{_QUEUES}/messages/read",
           f"{_QUEUES}/messages/write", f"{_QUEUES}/messages/process/action"]),
    _role("19e7f393-937e-4f77-808e-94535e297925", "Storage Queue Data Reader",
          "Allows for read access to Azure Storage queues and queue messages",
          [f"{_QUEUES}/read"], [f"{_QUEUES}/messages/read"]),
    _role("c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", "Storage Queue Data Message Sender",
          "Allows for sending of Azure Storage queue messages",
          [], [f"{_QUEUES}/messages/add/action"]),
    _role("8a0f0c08-91a1-4084-bc3d-661d67233fed", "Storage Queue Data Message Processor",
          "Allows for peek, receive, and delete access to Azure Storage queue messages",
          [], [f"{_QUEUES}/messages/read", f"{_QUEUES}/messages/process/action"]),
    _role("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Storage Blob Data Contributor",
          "Allows for read, write and delete access to Azure Storage blob containers and data",
          [f"{_BLOBS}/containers/delete", f"{_BLOBS}/containers/read",
           f"{_BLOBS}/containers/write", f"{_BLOBS}/generateUserDelegationKey/action"],
          [f"{_BLOBS}/containers/blobs/delete", f"{_BLOBS}/containers/blobs/read",
           f"{_BLOBS}/containers/blobs/write", f"{_BLOBS}/containers/blobs/move/action",
           f"{_BLOBS}/containers/blobs/add/action"]),
    _role("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader",
          "View all resources, but does not allow you to make any changes.",
          ["*/read"], []),
    _role("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
          "Grants full access to manage all resources, but does not allow you to assign roles "
          "in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
          ["*"], [],
          not_actions=["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                       "Microsoft.Authorization/elevateAccess/Action",
                       "Microsoft.Blueprint/blueprintAssignments/write",
                       "Microsoft.Blueprint/blueprintAssignments/delete",
                       "Microsoft.Compute/galleries/share/action",
                       "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
                       "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                       "Microsoft.Subscription/cancel/action",
                       "Microsoft.Subscription/enable/action"]),
    _role("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner",
          "Grants full access to manage all resources, including the ability to assign roles in "
          "Azure RBAC.",
          ["*"], []),
]
BY_ID = {role["name"]: role for role in BUILT_IN}
_DEFINITION_ID = re.compile(
    r"^(?:/subscriptions/(?P<subscription>[^/]+))?/providers/Microsoft\.Authorization"
    r"/roleDefinitions/(?P<guid>[^/]+)$", re.IGNORECASE)
_FILTER = re.compile(r"^\s*(?P<field>roleName|type)\s+eq\s+'(?P<value>[^']*)'\s*$", re.IGNORECASE)


def definition_id(guid: str, subscription: str | None) -> str:
    """ARM's id for a built-in role: under the subscription when one is in scope."""
    prefix = f"/subscriptions/{subscription}" if subscription else ""
    return f"{prefix}{PROVIDER_PATH}/{guid}"


def parse_definition_id(value: object) -> tuple[str | None, str] | None:
    """``(subscription or None, guid)`` from a role definition id, or None if malformed."""
    if not isinstance(value, str):
        return None
    match = _DEFINITION_ID.match(value.strip())
    if not match or not is_guid(match["guid"]):
        return None
    subscription = match["subscription"]
    return (subscription.lower() if subscription else None), match["guid"].lower()


def body(role: dict, subscription: str | None) -> dict:
    return {
        "properties": {
            "roleName": role["roleName"],
            "type": "BuiltInRole",
            "description": role["description"],
            "assignableScopes": ["/"],
            "permissions": role["permissions"],
        },
        "id": definition_id(role["name"], subscription),
        "type": DEFINITION_TYPE,
        "name": role["name"],
    }


async def get(call: Call) -> Response:
    """GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}."""
    scope = scope_of(call)
    guid = call.params["definition"].lower()
    if guid not in BY_ID:
        raise RoleDefinitionDoesNotExist(call.params["definition"])
    return JSONResponse(body(BY_ID[guid], scope.subscription))


async def list_definitions(call: Call) -> Response:
    """LIST, optionally ``$filter=roleName eq '…'`` or ``type eq 'BuiltInRole'``."""
    scope = scope_of(call)
    roles = BUILT_IN
    text = call.request.query_params.get("$filter")
    if text:
        match = _FILTER.match(text)
        if not match:
            raise UnsupportedQuery(f"The filter '{text}' is not supported. Use \"roleName eq "
                                   f"'{{name}}'\" or \"type eq 'BuiltInRole'\".")
        value = match["value"].lower()
        if match["field"].lower() == "rolename":
            roles = [r for r in roles if r["roleName"].lower() == value]
        else:
            roles = roles if value == "builtinrole" else []
    return JSONResponse({"value": [body(r, scope.subscription) for r in roles]})


ROUTES: list[ArmRoute] = [
    route("GET", PROVIDER_PATH, list_definitions, AUTHORIZATION, "roleDefinitions",
          scoped=True),
    route("GET", PROVIDER_PATH + "/{definition}", get, AUTHORIZATION, "roleDefinitions",
          scoped=True),
]
