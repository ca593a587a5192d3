"""Role assignments (Microsoft.Authorization/roleAssignments): PUT, GET, LIST, DELETE.

ARM's contract, as azure-mgmt-authorization (api-version 2022-04-01) drives it:

- ``PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`` with
  ``{"properties": {"roleDefinitionId", "principalId", "principalType"?, "description"?,
  "condition"?, "conditionVersion"?}}``: 201 with the assignment; 200 when that name already
  holds the same principal, role and scope (description and condition updated); 409
  ``RoleAssignmentExists`` when the principal already has the role at the scope under
  another name; 400 ``RoleAssignmentUpdateNotPermitted`` when the name holds another
  principal, role or scope; 400 ``InvalidRoleAssignmentId`` (name not a GUID),
  ``InvalidRoleDefinitionId``, ``RoleDefinitionDoesNotExist``, ``InvalidPrincipalId``.
- ``GET`` the same path: 200, or 404 ``RoleAssignmentNotFound``.
- ``DELETE``: 200 with the deleted assignment, 204 if there was none.
- ``GET {scope}/providers/Microsoft.Authorization/roleAssignments``: ``{"value": [...]}``,
  the assignments at, above or below the scope; ``$filter=atScope()`` keeps those at or
  above it; ``principalId eq '{id}'`` (or ``assignedTo('{id}')``) keeps one principal's;
  both may be joined with ``and``. Anything else is 400 ``UnsupportedQuery``.

Scopes: a subscription, resource group, storage account, or a queue service, queue, blob
service or container under it (see :mod:`.scopes`). Assignments are kept in the management
store; deleting a storage account or resource group removes those at or under it, as Azure
does. The local directory knows one principal, the lab identity (the ``oid`` of its
tokens); other well-formed principal ids are accepted as users without a directory lookup
(Azure answers 400 ``PrincipalNotFound`` for a principal its directory does not have).
Azurite does not check roles.
"""

from __future__ import annotations

import re
from dataclasses import replace

from starlette.responses import JSONResponse, Response

from . import role_definitions
from .arm import AUTHORIZATION, now
from .errors import (
    InvalidPrincipalId,
    InvalidRequestContent,
    InvalidRoleAssignmentId,
    InvalidRoleDefinitionId,
    RoleAssignmentExists,
    RoleAssignmentNotFound,
    RoleAssignmentUpdateNotPermitted,
    RoleDefinitionInRequestDoesNotExist,
    UnsupportedQuery,
    no_route,
)
from .models import RoleAssignment
from .naming import is_guid
from .routing import ArmRoute, Call, route
from .scopes import Scope, scope_of

ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
PROVIDER_PATH = "/providers/Microsoft.Authorization/roleAssignments"
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
_TERMS = {
    "at_scope": re.compile(r"^atScope\(\)$", re.IGNORECASE),
    "principal": re.compile(r"^(?:principalId\s+eq\s+'(?P<a>[^']*)'|assignedTo\('(?P<b>[^']*)'\))$",
                            re.IGNORECASE),
}


def assignment_id(scope: str, name: str) -> str:
    return f"{scope}{PROVIDER_PATH}/{name}"


def body(assignment: RoleAssignment) -> dict:
    return {
        "properties": {
            "roleDefinitionId": assignment.role_definition_id,
            "principalId": assignment.principal_id,
            "principalType": assignment.principal_type,
            "scope": assignment.scope,
            "condition": assignment.condition,
            "conditionVersion": assignment.condition_version,
            "createdOn": assignment.created_on,
            "updatedOn": assignment.updated_on,
            "createdBy": assignment.created_by,
            "updatedBy": assignment.updated_by,
            "delegatedManagedIdentityResourceId": None,
            "description": assignment.description,
        },
        "id": assignment_id(assignment.scope, assignment.name),
        "type": ASSIGNMENT_TYPE,
        "name": assignment.name,
    }


def _assignment_scope(call: Call) -> Scope:
    """The scope, which for role assignments must be a subscription or below it."""
    scope = scope_of(call)
    if scope.subscription is None:
        raise no_route(call.request)
    return scope


def _held(call: Call, scope: Scope, name: str) -> RoleAssignment | None:
    """The assignment with this name at exactly this scope, if any."""
    held = call.store.role_assignment(scope.subscription, name)
    if held is None or held.scope.lower() != scope.path.lower():
        return None
    return held


def _text(properties: dict, key: str) -> str | None:
    value = properties.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidRequestContent(f"'properties.{key}' must be a string.")
    return value


def _role_definition(properties: dict, scope: Scope) -> str:
    """The role definition id, normalised to the scope's subscription, or ARM's 400."""
    sent = properties.get("roleDefinitionId")
    parsed = role_definitions.parse_definition_id(sent)
    if parsed is None:
        raise InvalidRoleDefinitionId(
            f"The role definition ID '{sent}' is not valid. Use "
            f"'/subscriptions/{{subscription}}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{{role definition GUID}}'.")
    subscription, guid = parsed
    if subscription is not None and subscription != scope.subscription:
        raise InvalidRoleDefinitionId(
            f"The role definition ID '{sent}' is in subscription '{subscription}', "
            f"but the scope is in subscription '{scope.subscription}'.")
    if guid not in role_definitions.BY_ID:
        raise RoleDefinitionInRequestDoesNotExist(guid)
    return role_definitions.definition_id(guid, scope.subscription)


async def create(call: Call) -> Response:
    """PUT: 201 new, 200 same again, 409 the same grant under another name."""
    scope = _assignment_scope(call)
    name = call.params["assignment"]
    if not is_guid(name):
        raise InvalidRoleAssignmentId(
            f"The role assignment ID '{name}' is not valid. The role assignment ID "
            f"must be a GUID.")
    name = name.lower()
    properties = (await call.body()).get("properties")
    if not isinstance(properties, dict):
        raise InvalidRequestContent("'properties' must be an object with roleDefinitionId and "
                                    "principalId.")
    definition = _role_definition(properties, scope)
    principal = properties.get("principalId")
    if not is_guid(principal):
        raise InvalidPrincipalId("A valid principal ID must be provided for role assignment.")
    principal = principal.lower()
    principal_type = _text(properties, "principalType")
    if principal_type is not None and principal_type not in PRINCIPAL_TYPES:
        raise InvalidRequestContent(f"'properties.principalType' must be one of "
                                    f"{', '.join(PRINCIPAL_TYPES)}.")
    caller = call.request.state.claims.get("oid")
    if principal_type is None:
        principal_type = "ServicePrincipal" if principal == call.cloud.tokens.object_id \
            else "User"
    details = {"description": _text(properties, "description"),
               "condition": _text(properties, "condition"),
               "condition_version": _text(properties, "conditionVersion")}
    if details["condition"] and not details["condition_version"]:
        details["condition_version"] = "2.0"
    grant = (scope.path.lower(), definition.lower(), principal)

    with call.store.transaction():
        held = call.store.role_assignment(scope.subscription, name)
        if held is not None:
            if held.grants() != grant:
                raise RoleAssignmentUpdateNotPermitted(
                    "Tenant ID, application ID, principal ID, and scope are not "
                    "allowed to be updated.")
            assignment = replace(held, **details, updated_on=now(), updated_by=caller)
            status = 200
        else:
            for other in call.store.role_assignments(scope.subscription):
                if other.grants() == grant:
                    raise RoleAssignmentExists(f"The role assignment already exists. The ID of the "
                                               f"existing role assignment is "
                                               f"{other.name.replace('-', '')}.")
            created = now()
            assignment = RoleAssignment(name, scope.path, definition, principal, principal_type,
                                        **details, created_on=created, updated_on=created,
                                        created_by=caller, updated_by=caller)
            status = 201
        call.store.put_role_assignment(scope.subscription, assignment)
    return JSONResponse(body(assignment), status_code=status)


async def get(call: Call) -> Response:
    scope = _assignment_scope(call)
    held = _held(call, scope, call.params["assignment"])
    if held is None:
        raise RoleAssignmentNotFound(call.params["assignment"])
    return JSONResponse(body(held))


async def delete(call: Call) -> Response:
    """DELETE: 200 with what was deleted, 204 if there was nothing."""
    scope = _assignment_scope(call)
    with call.store.transaction():
        held = _held(call, scope, call.params["assignment"])
        if held is None:
            return Response(status_code=204)
        call.store.remove_role_assignment(scope.subscription, held.name)
    return JSONResponse(body(held))


def _filter(text: str | None) -> tuple[bool, str | None]:
    """``(at or above only, principal id or None)`` from a ``$filter``, or ARM's 400."""
    at_scope, principal = False, None
    if not text:
        return at_scope, principal
    for term in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        if _TERMS["at_scope"].match(term):
            at_scope = True
            continue
        match = _TERMS["principal"].match(term)
        if match is None:
            raise UnsupportedQuery(f"The filter '{text}' is not supported. Supported filters are "
                                   f"either 'atScope()' or 'principalId eq '{{value}}' or "
                                   f"assignedTo('{{value}}')'.")
        principal = (match["a"] or match["b"] or "").lower()
    return at_scope, principal


async def list_assignments(call: Call) -> Response:
    """LIST at a scope: at, above or below it, narrowed by ``$filter``."""
    scope = _assignment_scope(call)
    at_scope, principal = _filter(call.request.query_params.get("$filter"))
    found = []
    for assignment in call.store.role_assignments(scope.subscription):
        above_or_at = scope.within(assignment.scope)
        if not (above_or_at or (not at_scope and scope.contains(assignment.scope))):
            continue
        if principal is not None and assignment.principal_id != principal:
            continue
        found.append(body(assignment))
    return JSONResponse({"value": found})


ROUTES: list[ArmRoute] = [
    route("GET", PROVIDER_PATH, list_assignments, AUTHORIZATION, "roleAssignments", scoped=True),
    route("PUT", PROVIDER_PATH + "/{assignment}", create, AUTHORIZATION, "roleAssignments",
          scoped=True),
    route("GET", PROVIDER_PATH + "/{assignment}", get, AUTHORIZATION, "roleAssignments",
          scoped=True),
    route("DELETE", PROVIDER_PATH + "/{assignment}", delete, AUTHORIZATION, "roleAssignments",
          scoped=True),
]
