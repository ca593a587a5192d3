"""How stored resources look on the wire: ARM JSON for groups, accounts, keys and queues.

The stored models (:mod:`.models`) keep what the user set; read-only parts (ids,
endpoints, states, times) are computed here, as Azure computes them.
"""

from __future__ import annotations

from ..cloud import Cloud
from .arm import ACCOUNT_TYPE, GROUP_TYPE, QUEUE_TYPE, account_id, group_id, queue_id
from .dataplane import QueueInfo
from .models import ResourceGroup, StorageAccount
from .redundancy import READ_ACCESS_SKUS, is_geo, secondary_location
from .validation import sku

SERVICES = ("queue", "blob", "table")  # the services Azurite serves


def resource_group(subscription: str, group: ResourceGroup) -> dict:
    body = {
        "id": group_id(subscription, group.name),
        "name": group.name,
        "type": GROUP_TYPE,
        "location": group.location,
        "properties": {"provisioningState": group.provisioning_state},
    }
    if group.tags is not None:
        body["tags"] = dict(group.tags)
    if group.managed_by:
        body["managedBy"] = group.managed_by
    return body


def storage_account(cloud: Cloud, subscription: str, account: StorageAccount) -> dict:
    name = account.name
    properties = {
        **account.properties,
        "keyCreationTime": dict(account.key_creation_time),
        "privateEndpointConnections": [],
        "provisioningState": account.provisioning_state,
        "creationTime": account.creation_time,
        "primaryEndpoints": {service: cloud.endpoint(service, name) for service in SERVICES},
        "primaryLocation": account.location,
        "statusOfPrimary": "available",
    }
    if is_geo(account.sku) and secondary_location(account.location):
        properties["secondaryLocation"] = secondary_location(account.location)
        properties["statusOfSecondary"] = "available"
        if account.sku in READ_ACCESS_SKUS:
            properties["secondaryEndpoints"] = {
                service: cloud.endpoint(service, f"{name}-secondary") for service in SERVICES}
    return {
        "sku": sku(account.sku),
        "kind": account.kind,
        "id": account_id(subscription, account.resource_group, name),
        "name": name,
        "type": ACCOUNT_TYPE,
        "location": account.location,
        "tags": dict(account.tags or {}),
        "properties": properties,
    }


def account_keys(account: StorageAccount) -> dict:
    return {"keys": [
        {"creationTime": account.key_creation_time[key], "keyName": key,
         "value": account.keys[key], "permissions": "FULL"}
        for key in ("key1", "key2")
    ]}


def queue(subscription: str, account: StorageAccount, info: QueueInfo,
          with_count: bool = True) -> dict:
    properties: dict = {"metadata": info.metadata}
    if with_count and info.approximate_message_count is not None:
        properties["approximateMessageCount"] = info.approximate_message_count
    return {
        "id": queue_id(subscription, account.resource_group, account.name, info.name),
        "name": info.name,
        "type": QUEUE_TYPE,
        "properties": properties,
    }
