"""ARM scopes for role assignments and definitions: what a scope names, and how scopes nest.

A scope is a resource id: ``/subscriptions/{sub}``, ``…/resourceGroups/{group}``, a
storage account ``…/providers/Microsoft.Storage/storageAccounts/{account}``, or a queue
service, queue, blob service or container under it (all scopes Azure accepts for the
storage data roles). The tenant root (``""``) names no subscription; role definitions
can be read there. A scope's resource group and storage account must exist (else ARM's
404); a queue or container named in a scope is not looked up in Azurite.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ResourceGroupNotFound, account_not_found, no_route
from .naming import check_account, check_queue, check_resource_group
from .routing import Call
from .store import ManagementStore

# Below an account: (service segment, its only name, child collection).
_SERVICES = {"queueservices": "queues", "blobservices": "containers"}


@dataclass(frozen=True)
class Scope:
    path: str  # as sent, e.g. "/subscriptions/…/resourceGroups/rg-Lab"; "" = tenant root
    subscription: str | None = None  # lowercased
    group: str | None = None
    account: str | None = None

    def contains(self, other: str) -> bool:
        """True if ``other`` is this scope or lies below it."""
        mine, theirs = self.path.lower(), other.rstrip("/").lower()
        return theirs == mine or theirs.startswith(mine + "/")

    def within(self, other: str) -> bool:
        """True if this scope is ``other`` or lies below it (``other`` applies here)."""
        return Scope(other.rstrip("/")).contains(self.path)


def scope_of(call: Call) -> Scope:
    """The scope in the request's path; ARM's 404 if its group or account is missing, or the
    plane's "no route" 404 if it is not a scope the plane knows."""
    scope = parse(call.params["scope"], call.store)
    if scope is None:
        raise no_route(call.request)
    return scope


def parse(path: str, store: ManagementStore) -> Scope | None:
    """The scope ``path`` names, or None if it is not one of the shapes above; ARM's 404 if
    its resource group or storage account does not exist."""
    parts = [p for p in path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if not parts:
        return Scope("")
    if lowered[0] != "subscriptions" or len(parts) < 2:
        return None
    subscription = lowered[1]
    if len(parts) == 2:
        return Scope(path, subscription)
    if lowered[2] != "resourcegroups" or len(parts) < 4:
        return None
    group = parts[3]
    check_resource_group(group)
    if store.resource_group(subscription, group) is None:
        raise ResourceGroupNotFound(group)
    if len(parts) == 4:
        return Scope(path, subscription, group)
    if lowered[4:7] != ["providers", "microsoft.storage", "storageaccounts"] or len(parts) < 8:
        return None
    account = parts[7]
    check_account(account)
    if store.account(subscription, group, account) is None:
        raise account_not_found(account, group)
    below = lowered[8:]
    if below and not _storage_child(below, parts[8:]):
        return None
    return Scope(path, subscription, group, account)


def _storage_child(lowered: list[str], parts: list[str]) -> bool:
    """``queueServices/default[/queues/{q}]`` or ``blobServices/default[/containers/{c}]``."""
    if len(lowered) not in (2, 4) or lowered[0] not in _SERVICES or lowered[1] != "default":
        return False
    if len(lowered) == 4:
        if lowered[2] != _SERVICES[lowered[0]]:
            return False
        if lowered[0] == "queueservices":
            check_queue(parts[3])
    return True
