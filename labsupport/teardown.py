"""Delete what the lab created, and only that — production code (Azure SDK only).

:func:`plan` looks at one resource group: it refuses the group unless it carries the
lab's tags (:data:`labsupport.provision.LAB_TAGS`), then lists its storage accounts and
their queues. :func:`teardown` deletes them in that order — queues, accounts, then the
group with ``begin_delete`` — or, with ``dry_run=True``, only says what it would delete.
A group that does not exist is nothing to do, so running teardown twice is safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources.models import ResourceGroup
from azure.mgmt.storage import StorageManagementClient

from .errors import TeardownRefused
from .provision import LAB_TAGS

QUEUE_KINDS = ("Storage", "StorageV2")  # account kinds that have a queue service


@dataclass(frozen=True)
class AccountPlan:
    """A storage account in the group and the names of its queues."""

    name: str
    queues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What teardown deletes (or, in a dry run, would delete) in one resource group."""

    resource_group: str
    exists: bool
    tags: dict[str, str] | None = None
    accounts: tuple[AccountPlan, ...] = ()

    def account(self, name: str) -> AccountPlan | None:
        return next((a for a in self.accounts if a.name == name), None)

    @property
    def queue_count(self) -> int:
        return sum(len(a.queues) for a in self.accounts)

    def summary(self) -> str:
        if not self.exists:
            return f"nothing to delete: resource group {self.resource_group} does not exist"
        return (f"resource group {self.resource_group} with {len(self.accounts)} storage "
                f"account(s) and {self.queue_count} queue(s)")


def is_lab_group(group: ResourceGroup) -> bool:
    """True if the group carries every one of the lab's tags with the lab's value."""
    tags = group.tags or {}
    return all(tags.get(name) == value for name, value in LAB_TAGS.items())


def lab_resource_groups(resources: ResourceManagementClient) -> list[ResourceGroup]:
    """The subscription's resource groups that carry the lab's tags.

    ARM filters on one tag (``tagName eq ... and tagValue eq ...``); the others are
    checked here.
    """
    name, value = next(iter(LAB_TAGS.items()))
    listed = resources.resource_groups.list(filter=f"tagName eq '{name}' and tagValue eq '{value}'")
    return [group for group in listed if is_lab_group(group)]


def _refusal(group: ResourceGroup) -> TeardownRefused:
    wanted = ", ".join(f"{k}={v}" for k, v in LAB_TAGS.items())
    found = ", ".join(f"{k}={v}" for k, v in sorted((group.tags or {}).items())) or "no tags"
    return TeardownRefused(
        f"Refusing to delete resource group {group.name!r}: it does not carry the lab's tags "
        f"({wanted}; it has {found}), so the lab did not create it. If LAB_RESOURCE_GROUP "
        f"points at the wrong group, fix lab.env. If the group really is yours to delete, "
        f"delete it yourself (`az group delete -n {group.name}`)."
    )


def plan(resources: ResourceManagementClient, storage: StorageManagementClient,
         resource_group: str) -> Plan:
    """List what teardown would delete in ``resource_group``; refuse a group without the
    lab's tags (:class:`~labsupport.errors.TeardownRefused`)."""
    try:
        group = resources.resource_groups.get(resource_group)
    except ResourceNotFoundError:
        return Plan(resource_group, exists=False)
    if not is_lab_group(group):
        raise _refusal(group)
    accounts = []
    for account in storage.storage_accounts.list_by_resource_group(resource_group):
        queues = ()
        if account.kind in QUEUE_KINDS:
            queues = tuple(q.name for q in storage.queue.list(resource_group, account.name))
        accounts.append(AccountPlan(account.name, queues))
    # Tags in name order: ARM keeps the order they were written in, which differs between
    # whoever last wrote them (connect(), lesson 01), and a plan should read the same.
    return Plan(resource_group, True, dict(sorted(group.tags.items())), tuple(accounts))


def teardown(resources: ResourceManagementClient, storage: StorageManagementClient,
             resource_group: str, *, dry_run: bool = False) -> Plan:
    """Delete the lab's resource group: its queues, its accounts, then the group.

    Returns the plan of what was deleted (``dry_run=True``: what would be; nothing is
    touched). Refuses a group without the lab's tags before deleting anything.
    """
    found = plan(resources, storage, resource_group)
    if dry_run or not found.exists:
        return found
    for account in found.accounts:
        for queue in account.queues:
            storage.queue.delete(resource_group, account.name, queue)
        storage.storage_accounts.delete(resource_group, account.name)
    resources.resource_groups.begin_delete(resource_group).result()
    return found
