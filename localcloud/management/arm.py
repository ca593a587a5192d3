"""ARM conventions shared by the routes: providers and api-versions, resource ids, times, keys."""

from __future__ import annotations

import base64
import datetime
import secrets

from .routing import Provider

# The SDK defaults first (azure-mgmt-resource 26.0.0, azure-mgmt-storage 25.3.0), then
# older versions whose shapes the local plane also serves.
RESOURCES = Provider("Microsoft.Resources", (
    "2025-04-01", "2025-03-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-07-01",
    "2022-09-01", "2021-04-01",
))
STORAGE = Provider("Microsoft.Storage", (
    "2026-09-01", "2025-08-01", "2025-06-01", "2025-01-01", "2024-01-01", "2023-05-01",
    "2023-01-01", "2022-09-01",
))
# azure-mgmt-authorization 4.0.0 sends 2022-04-01 for role assignments and definitions;
# the others are versions with the same shapes that other tools still send.
AUTHORIZATION = Provider("Microsoft.Authorization", (
    "2022-04-01", "2022-05-01-preview", "2020-10-01-preview", "2020-04-01-preview",
    "2018-09-01-preview", "2018-01-01-preview", "2015-07-01",
))

GROUP_TYPE = "Microsoft.Resources/resourceGroups"
ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"
QUEUE_TYPE = "Microsoft.Storage/storageAccounts/queueServices/queues"


def group_id(subscription: str, group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def account_id(subscription: str, group: str, account: str) -> str:
    return f"{group_id(subscription, group)}/providers/{ACCOUNT_TYPE}/{account}"


def queue_id(subscription: str, group: str, account: str, queue: str) -> str:
    return f"{account_id(subscription, group, account)}/queueServices/default/queues/{queue}"


def now() -> str:
    """A timestamp as ARM writes them (RFC 3339, UTC)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_account_key() -> str:
    """A storage account key as Azure makes them: 64 random bytes, base64."""
    return base64.b64encode(secrets.token_bytes(64)).decode()
