"""How stored resources look on the wire: ARM JSON for groups, accounts, keys and queues.

Stored records keep what the user set; read-only parts (ids, endpoints, states, times)
are computed here, as Azure computes them.
"""

from __future__ import annotations

from ..cloud import Cloud
from .arm import ACCOUNT_TYPE, GROUP_TYPE, QUEUE_TYPE, account_id, group_id, now, queue_id
from .dataplane import QueueInfo
from .errors import ArmError

SKUS = ("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS",
        "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS")
KINDS = ("Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage")
# Properties the service computes; ignored if a client sends them.
READ_ONLY = {"provisioningState", "creationTime", "primaryEndpoints", "primaryLocation",
             "statusOfPrimary", "secondaryEndpoints", "secondaryLocation", "statusOfSecondary",
             "keyCreationTime", "lastGeoFailoverTime", "privateEndpointConnections"}
SERVICES = ("queue", "blob", "table")  # the services Azurite serves


def resource_group(subscription: str, group: dict) -> dict:
    body = {
        "id": group_id(subscription, group["name"]),
        "name": group["name"],
        "type": GROUP_TYPE,
        "location": group["location"],
        "properties": {"provisioningState": group.get("provisioningState", "Succeeded")},
    }
    if group.get("tags") is not None:
        body["tags"] = group["tags"]
    if group.get("managedBy"):
        body["managedBy"] = group["managedBy"]
    return body


def storage_account(cloud: Cloud, subscription: str, account: dict) -> dict:
    name = account["name"]
    properties = {
        **account.get("properties", {}),
        "keyCreationTime": dict(account["keyCreationTime"]),
        "privateEndpointConnections": [],
        "provisioningState": account.get("provisioningState", "Succeeded"),
        "creationTime": account["creationTime"],
        "primaryEndpoints": {service: cloud.endpoint(service, name) for service in SERVICES},
        "primaryLocation": account["location"],
        "statusOfPrimary": "available",
    }
    return {
        "sku": sku(account["sku"]["name"]),
        "kind": account["kind"],
        "id": account_id(subscription, account["resourceGroup"], name),
        "name": name,
        "type": ACCOUNT_TYPE,
        "location": account["location"],
        "tags": dict(account.get("tags") or {}),
        "properties": properties,
    }


def account_keys(account: dict) -> dict:
    return {"keys": [
        {"creationTime": account["keyCreationTime"][key], "keyName": key,
         "value": account["keys"][key], "permissions": "FULL"}
        for key in ("key1", "key2")
    ]}


def queue(subscription: str, account: dict, info: QueueInfo, with_count: bool = True) -> dict:
    properties: dict = {"metadata": info.metadata}
    if with_count and info.approximate_message_count is not None:
        properties["approximateMessageCount"] = info.approximate_message_count
    return {
        "id": queue_id(subscription, account["resourceGroup"], account["name"], info.name),
        "name": info.name,
        "type": QUEUE_TYPE,
        "properties": properties,
    }


def sku(name: object) -> dict:
    if name not in SKUS:
        raise ArmError(400, "InvalidValuesForRequestParameters",
                       f"Values for request parameters are invalid: sku.name '{name}'. Use "
                       f"one of {', '.join(SKUS)}.")
    return {"name": name, "tier": name.split("_", 1)[0]}


def check_kind(kind: object) -> str:
    if kind not in KINDS:
        raise ArmError(400, "InvalidValuesForRequestParameters",
                       f"Values for request parameters are invalid: kind '{kind}'. Use one of "
                       f"{', '.join(KINDS)}.")
    return kind  # type: ignore[return-value]


def default_properties(kind: str) -> dict:
    """What Azure sets on a new account unless the request says otherwise."""
    enabled = {"keyType": "Account", "enabled": True, "lastEnabledTime": now()}
    defaults = {
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        "allowCrossTenantReplication": False,
        "defaultToOAuthAuthentication": False,
        "supportsHttpsTrafficOnly": True,
        "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
                        "defaultAction": "Allow"},
        "encryption": {"services": {"blob": dict(enabled), "file": dict(enabled)},
                       "keySource": "Microsoft.Storage"},
    }
    if kind in ("StorageV2", "BlobStorage"):
        defaults["accessTier"] = "Hot"
    return defaults


def writable(properties: object) -> dict:
    """The properties a client may set (read-only ones dropped)."""
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise ArmError(400, "InvalidRequestContent",
                       "The request content was invalid and could not be deserialized: "
                       "'properties' must be an object.")
    return {k: v for k, v in properties.items() if k not in READ_ONLY}


def merge(current: dict, patch: dict) -> dict:
    """JSON merge patch (RFC 7386): objects merge, null removes, anything else replaces."""
    result = dict(current)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def check_tags(tags: object) -> dict | None:
    if tags is None:
        return None
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise ArmError(400, "InvalidRequestContent",
                       "The request content was invalid and could not be deserialized: 'tags' "
                       "must be an object of string values.")
    return dict(tags)
