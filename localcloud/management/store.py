"""The management plane's persistent state: resource groups, storage accounts, role
assignments, and Microsoft.Insights resources (metric alerts, diagnostic settings).

Kept as JSON in the state folder so resources survive restarts of the local cloud. A
corrupt file is reported, never silently reset. Queues are not stored here: Azurite
holds them, so the management plane and the data plane always agree.

Every change happens in a transaction, which locks, changes and saves in one place::

    with store.transaction():
        group = store.resource_group(subscription, name)
        store.put_resource_group(subscription, replace(group, tags={"env": "lab"}))

A transaction that raises leaves the store as it was (nothing is saved). Records are
immutable (:mod:`.models`) and every read takes the lock, so a reader sees each record
whole, before or after a change, never halfway. Transactions are synchronous: never
``await`` inside one (the event loop's other requests would run inside it).

Layout (``version`` 1, as earlier versions wrote it; ``roleAssignments`` and ``insights``
may be absent)::

    {"version": 1, "subscriptions": {"<sub>": {
        "resourceGroups": {"<name lowercased>": {"name", "location", "tags", ...}},
        "storageAccounts": {"<name>": {"name", "resourceGroup", "keys": {"key1", "key2"}, ...}},
        "roleAssignments": {"<name lowercased>": {"name", "scope", "roleDefinitionId",
                                                  "principalId", ...}},
        "insights": {"<resource id lowercased>": {"id", "body": {ARM JSON}}}
    }}}
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .models import SUCCEEDED, MonitorResource, ResourceGroup, RoleAssignment, StorageAccount

VERSION = 1
_SECTIONS = ("resourceGroups", "storageAccounts", "roleAssignments", "insights")


class StoreError(RuntimeError):
    """The state file cannot be read."""


@dataclass
class _Subscription:
    groups: dict[str, ResourceGroup] = field(default_factory=dict)  # by lowercased name
    accounts: dict[str, StorageAccount] = field(default_factory=dict)  # by name
    assignments: dict[str, RoleAssignment] = field(default_factory=dict)  # by lowercased name
    extra: dict[str, Any] = field(default_factory=dict)
    insights: dict[str, MonitorResource] = field(default_factory=dict)  # by lowercased id

    def copy(self) -> _Subscription:
        return _Subscription(dict(self.groups), dict(self.accounts), dict(self.assignments),
                             self.extra, dict(self.insights))

    @classmethod
    def from_json(cls, data: object) -> _Subscription:
        if not isinstance(data, dict):
            raise ValueError("a subscription is not an object")
        sections = {key: {} if data.get(key) is None else data[key] for key in _SECTIONS}
        if not all(isinstance(section, dict) for section in sections.values()):
            raise ValueError(f"{', '.join(_SECTIONS)} must be objects")
        groups = [ResourceGroup.from_json(g) for g in sections["resourceGroups"].values()]
        accounts = [StorageAccount.from_json(a) for a in sections["storageAccounts"].values()]
        assignments = [RoleAssignment.from_json(a)
                       for a in sections["roleAssignments"].values()]
        insights = [MonitorResource.from_json(r) for r in sections["insights"].values()]
        return cls({g.name.lower(): g for g in groups}, {a.name: a for a in accounts},
                   {a.name.lower(): a for a in assignments},
                   copy.deepcopy({k: v for k, v in data.items() if k not in _SECTIONS}),
                   {r.id.lower(): r for r in insights})

    def to_json(self) -> dict[str, Any]:
        return {**copy.deepcopy(self.extra),
                "resourceGroups": {k: g.to_json() for k, g in self.groups.items()},
                "storageAccounts": {k: a.to_json() for k, a in self.accounts.items()},
                "roleAssignments": {k: a.to_json() for k, a in self.assignments.items()},
                # written once there is one, so earlier layouts are saved back unchanged
                **({"insights": {k: r.to_json() for k, r in self.insights.items()}}
                   if self.insights else {})}


class ManagementStore:
    """Resource groups, storage accounts and role assignments by subscription.

    Resource-group names are case-insensitive (keyed lowercased, shown as first given);
    storage-account names are global across subscriptions, as in Azure. Change it only
    inside :meth:`transaction`.
    """

    def __init__(self, path: Path, data: dict | None = None):
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0  # nested transactions save once, when the outermost ends
        self._owner: int | None = None  # the thread in a transaction
        data = data or {"version": VERSION, "subscriptions": {}}
        self._extra = {k: copy.deepcopy(v) for k, v in data.items()
                       if k not in ("version", "subscriptions")}
        self._subscriptions = {key.lower(): _Subscription.from_json(content)
                               for key, content in data["subscriptions"].items()}
        self._settle_interrupted()

    # Transactions -----------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[ManagementStore]:
        """Lock, let the block read and change the store, then save it once; if the block
        raises, undo its changes and save nothing."""
        with self.lock:
            before = {key: content.copy() for key, content in self._subscriptions.items()}
            self._depth += 1
            self._owner = threading.get_ident()
            try:
                yield self
                if self._depth == 1:
                    self._save()
            except BaseException:
                self._subscriptions = before
                raise
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None

    def to_json(self) -> dict[str, Any]:
        """The whole store as ``management.json`` holds it."""
        with self.lock:
            return {**copy.deepcopy(self._extra), "version": VERSION, "subscriptions": {
                key: content.to_json() for key, content in self._subscriptions.items()}}

    def _save(self) -> None:
        """Write the file atomically, readable by its owner only (it holds account keys)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a .tmp left by an older version may be 0644
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(self.to_json(), indent=2, sort_keys=True))
        tmp.replace(self.path)

    def _changing(self, subscription: str) -> _Subscription:
        if self._owner != threading.get_ident():
            raise RuntimeError("Change the management store inside `with store.transaction():`.")
        return self._subscriptions.setdefault(subscription.lower(), _Subscription())

    def _reading(self, subscription: str) -> _Subscription:
        return self._subscriptions.get(subscription.lower()) or _Subscription()

    def azurite_accounts(self) -> dict[str, tuple[str, str]]:
        """Every storage account as Azurite needs it: name -> (key1, key2)."""
        with self.lock:
            return {account.name: (account.keys["key1"], account.keys["key2"])
                    for content in self._subscriptions.values()
                    for account in content.accounts.values()}

    # Resource groups --------------------------------------------------------------------

    def resource_group(self, subscription: str, name: str) -> ResourceGroup | None:
        with self.lock:
            return self._reading(subscription).groups.get(name.lower())

    def resource_groups(self, subscription: str) -> list[ResourceGroup]:
        with self.lock:
            groups = self._reading(subscription).groups
            return [groups[key] for key in sorted(groups)]

    def put_resource_group(self, subscription: str, group: ResourceGroup) -> None:
        self._changing(subscription).groups[group.name.lower()] = group

    def remove_resource_group(self, subscription: str, name: str) -> None:
        self._changing(subscription).groups.pop(name.lower(), None)

    # Storage accounts -------------------------------------------------------------------

    def find_account(self, name: str) -> tuple[str, StorageAccount] | None:
        """The account with this name in any subscription: ``(subscription, account)``."""
        with self.lock:
            for subscription, content in self._subscriptions.items():
                account = content.accounts.get(name)
                if account is not None:
                    return subscription, account
            return None

    def account(self, subscription: str, resource_group: str,
                name: str) -> StorageAccount | None:
        with self.lock:
            account = self._reading(subscription).accounts.get(name)
        return account if account is not None and account.in_group(resource_group) else None

    def accounts(self, subscription: str,
                 resource_group: str | None = None) -> list[StorageAccount]:
        with self.lock:
            accounts = self._reading(subscription).accounts
            return [accounts[name] for name in sorted(accounts)
                    if resource_group is None or accounts[name].in_group(resource_group)]

    def put_account(self, subscription: str, account: StorageAccount) -> None:
        self._changing(subscription).accounts[account.name] = account

    def remove_account(self, subscription: str, name: str) -> None:
        self._changing(subscription).accounts.pop(name, None)

    # Role assignments -------------------------------------------------------------------

    def role_assignment(self, subscription: str, name: str) -> RoleAssignment | None:
        with self.lock:
            return self._reading(subscription).assignments.get(name.lower())

    def role_assignments(self, subscription: str) -> list[RoleAssignment]:
        with self.lock:
            assignments = self._reading(subscription).assignments
            return [assignments[key] for key in sorted(assignments)]

    def put_role_assignment(self, subscription: str, assignment: RoleAssignment) -> None:
        self._changing(subscription).assignments[assignment.name.lower()] = assignment

    def remove_role_assignment(self, subscription: str, name: str) -> None:
        self._changing(subscription).assignments.pop(name.lower(), None)

    def remove_role_assignments_under(self, subscription: str, scope: str) -> None:
        """Forget the assignments at ``scope`` or below it, as Azure does when the resource
        at ``scope`` is deleted."""
        prefix = scope.rstrip("/").lower()
        assignments = self._changing(subscription).assignments
        for key, assignment in list(assignments.items()):
            held = assignment.scope.lower()
            if held == prefix or held.startswith(prefix + "/"):
                del assignments[key]

    # Microsoft.Insights resources ----------------------------------------------------------

    def monitor_resource(self, subscription: str, resource_id: str) -> MonitorResource | None:
        with self.lock:
            return self._reading(subscription).insights.get(resource_id.lower())

    def monitor_resources(self, subscription: str, prefix: str) -> list[MonitorResource]:
        """Those whose id starts with ``prefix`` (any casing), in id order."""
        with self.lock:
            found = self._reading(subscription).insights
            return [found[key] for key in sorted(found) if key.startswith(prefix.lower())]

    def put_monitor_resource(self, subscription: str, resource: MonitorResource) -> None:
        self._changing(subscription).insights[resource.id.lower()] = resource

    def remove_monitor_resource(self, subscription: str, resource_id: str) -> None:
        self._changing(subscription).insights.pop(resource_id.lower(), None)

    def remove_monitor_resources_under(self, subscription: str, scope: str) -> None:
        """Forget those at ``scope`` or below it (a deleted resource group's alerts)."""
        prefix = scope.rstrip("/").lower()
        insights = self._changing(subscription).insights
        for key in [k for k in insights if k == prefix or k.startswith(prefix + "/")]:
            del insights[key]

    # ------------------------------------------------------------------------------------

    def _settle_interrupted(self) -> None:
        """Operations cut short by a stop: accounts being created exist (Azurite gets them
        at start), groups being deleted are back to normal and can be deleted again."""
        for content in self._subscriptions.values():
            for key, account in content.accounts.items():
                if account.provisioning_state != SUCCEEDED:
                    content.accounts[key] = replace(account, provisioning_state=SUCCEEDED)
            for key, group in content.groups.items():
                if group.provisioning_state != SUCCEEDED:
                    content.groups[key] = replace(group, provisioning_state=SUCCEEDED)


def load_store(path: Path) -> ManagementStore:
    """Read the state file (none yet means no resources); raise StoreError if corrupt."""
    if not path.exists():
        return ManagementStore(path)
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or not isinstance(data.get("subscriptions"), dict):
            raise ValueError("no 'subscriptions' object at the top")
        return ManagementStore(path, data)
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise StoreError(
            f"The local management plane's state file {path} is corrupt ({exc}). Move it "
            f"aside to start with no resources (`python -m labsupport down`, then rename it), "
            f"or restore it from a copy."
        ) from None
