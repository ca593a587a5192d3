"""What the management plane keeps of each resource (its models): typed, immutable records.

A record is frozen: a change is a new record (``dataclasses.replace``) put into the store
inside ``with store.transaction():``, so a record a reader holds never changes under it.
Each record reads and writes its part of ``management.json`` (layout version 1, as the
lab has always written it); keys this version does not know are kept as they were read.
The nested ARM shapes a client sets (tags, properties, keys) stay JSON objects: treat them
as read-only and build new ones to change them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

SUCCEEDED = "Succeeded"


def _known(data: object, what: str, required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"a {what} is not an object")
    missing = [key for key in required if key not in data]
    if missing:
        raise ValueError(f"{what} {data.get('name')!r} has no {'/'.join(missing)}")
    return copy.deepcopy(data)


def _extra(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in keys}


@dataclass(frozen=True)
class ResourceGroup:
    """A resource group; its name keeps the casing it was created with."""

    name: str
    location: str
    tags: dict[str, str] | None = None
    managed_by: str | None = None
    created_time: str | None = None
    provisioning_state: str = SUCCEEDED
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    KEYS = ("name", "location", "tags", "managedBy", "createdTime", "provisioningState")

    @classmethod
    def from_json(cls, data: object) -> ResourceGroup:
        data = _known(data, "resource group", ("name", "location"))
        return cls(data["name"], data["location"], data.get("tags"), data.get("managedBy"),
                   data.get("createdTime"), data.get("provisioningState", SUCCEEDED),
                   _extra(data, cls.KEYS))

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy({**self.extra, "name": self.name, "location": self.location,
                              "tags": self.tags, "managedBy": self.managed_by,
                              "createdTime": self.created_time,
                              "provisioningState": self.provisioning_state})


@dataclass(frozen=True)
class StorageAccount:
    """A storage account: what the client set, its keys, and its state."""

    name: str
    resource_group: str
    keys: dict[str, str] = field(repr=False)  # {"key1": ..., "key2": ...}: secrets
    location: str = ""
    sku: str = "Standard_LRS"
    kind: str = "StorageV2"
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    key_creation_time: dict[str, str] = field(default_factory=dict)
    creation_time: str = ""
    provisioning_state: str = SUCCEEDED
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    KEYS = ("name", "resourceGroup", "keys", "location", "sku", "kind", "tags", "properties",
            "keyCreationTime", "creationTime", "provisioningState")

    @classmethod
    def from_json(cls, data: object) -> StorageAccount:
        data = _known(data, "storage account", ("name", "resourceGroup", "keys"))
        keys = data["keys"]
        if not isinstance(keys, dict) or not {"key1", "key2"} <= set(keys):
            raise ValueError(f"storage account {data['name']!r} has no key1/key2")
        sku = data.get("sku") or {}
        return cls(data["name"], data["resourceGroup"], keys, data.get("location", ""),
                   sku.get("name", "Standard_LRS") if isinstance(sku, dict) else str(sku),
                   data.get("kind", "StorageV2"), data.get("tags") or {},
                   data.get("properties") or {}, data.get("keyCreationTime") or {},
                   data.get("creationTime", ""), data.get("provisioningState", SUCCEEDED),
                   _extra(data, cls.KEYS))

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy({
            **self.extra, "name": self.name, "resourceGroup": self.resource_group,
            "location": self.location, "sku": {"name": self.sku}, "kind": self.kind,
            "tags": self.tags, "properties": self.properties, "keys": self.keys,
            "keyCreationTime": self.key_creation_time, "creationTime": self.creation_time,
            "provisioningState": self.provisioning_state,
        })

    def in_group(self, group: str) -> bool:
        return self.resource_group.lower() == group.lower()


@dataclass(frozen=True)
class RoleAssignment:
    """A role assignment: a principal holds a role definition at a scope."""

    name: str  # a GUID, lowercased
    scope: str
    role_definition_id: str = ""
    principal_id: str = ""
    principal_type: str = "User"
    description: str | None = None
    condition: str | None = None
    condition_version: str | None = None
    created_on: str | None = None
    updated_on: str | None = None
    created_by: str | None = None
    updated_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    KEYS = ("name", "scope", "roleDefinitionId", "principalId", "principalType",
            "description", "condition", "conditionVersion", "createdOn", "updatedOn",
            "createdBy", "updatedBy")

    @classmethod
    def from_json(cls, data: object) -> RoleAssignment:
        data = _known(data, "role assignment", ("name", "scope"))
        return cls(data["name"], data["scope"], data.get("roleDefinitionId", ""),
                   data.get("principalId", ""), data.get("principalType", "User"),
                   data.get("description"), data.get("condition"),
                   data.get("conditionVersion"), data.get("createdOn"), data.get("updatedOn"),
                   data.get("createdBy"), data.get("updatedBy"), _extra(data, cls.KEYS))

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy({
            **self.extra, "name": self.name, "scope": self.scope,
            "roleDefinitionId": self.role_definition_id, "principalId": self.principal_id,
            "principalType": self.principal_type, "description": self.description,
            "condition": self.condition, "conditionVersion": self.condition_version,
            "createdOn": self.created_on, "updatedOn": self.updated_on,
            "createdBy": self.created_by, "updatedBy": self.updated_by,
        })

    def grants(self) -> tuple[str, str, str]:
        """What it grants, compared case-insensitively: (scope, role definition, principal)."""
        return self.scope.lower(), self.role_definition_id.lower(), self.principal_id


@dataclass(frozen=True)
class MonitorResource:
    """A Microsoft.Insights resource (a metric alert, a diagnostic setting): its ARM id
    and the ARM JSON the plane answers with (read-only; a change is a new record)."""

    id: str
    body: dict[str, Any]

    @classmethod
    def from_json(cls, data: object) -> MonitorResource:
        data = _known(data, "monitor resource", ("id", "body"))
        if not isinstance(data["body"], dict):
            raise ValueError(f"monitor resource {data['id']!r} has no body object")
        return cls(data["id"], data["body"])

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy({"id": self.id, "body": self.body})
