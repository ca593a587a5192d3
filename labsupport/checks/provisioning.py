"""Checks for 01 · provision with the management SDK, and 13 · teardown."""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import StorageQueue
from azure.storage.queue import QueueClient

from ..teardown import lab_resource_groups
from . import Result, report


def check_management_queue(made, queue_endpoint, storage: StorageManagementClient, lab, *,
                           metadata: dict[str, str]) -> Result:
    """01: ``made`` is the queue ``lab.queue_name`` created in the lab's account through the
    management plane with ``metadata``, and ``queue_endpoint`` is the account's queue
    endpoint as the management SDK reports it.

    The check reads the queue back through both planes, so it also confirms that the
    data-plane client sees what the management plane created.
    """
    problems = []
    where = (lab.resource_group, lab.account_name)
    if made is None:
        problems.append("nothing created yet: call storage.queue.create(lab.resource_group, "
                        "lab.account_name, lab.queue_name, StorageQueue(metadata=...)) and "
                        "keep what it returns in `made`")
    elif not isinstance(made, StorageQueue):
        problems.append(f"`made` is a {type(made).__name__}, not the StorageQueue that the "
                        f"management client returns: create the queue with storage.queue.create "
                        f"(the management plane), not with the data-plane SDK")
    elif made.name != lab.queue_name:
        problems.append(f"you created {made.name!r}; this notebook's queue is lab.queue_name "
                        f"({lab.queue_name!r})")
    if made is not None:
        problems += _queue_problems(storage, lab, metadata)
    endpoint = storage.storage_accounts.get_properties(*where).primary_endpoints.queue
    if not queue_endpoint:
        problems.append("`queue_endpoint` is empty: read it from storage.storage_accounts."
                        "get_properties(...).primary_endpoints")
    elif str(queue_endpoint).rstrip("/") != endpoint.rstrip("/"):
        problems.append(f"`queue_endpoint` is {queue_endpoint!r}, which is not the account's "
                        f"queue endpoint: use primary_endpoints.queue (not .blob or .table)")
    return report(problems, f"queue {lab.queue_name} created through the management plane with "
                            f"metadata {metadata}; the data plane sees it at the account's queue "
                            f"endpoint.")


def _queue_problems(storage: StorageManagementClient, lab, metadata: dict[str, str]) -> list[str]:
    try:
        queue = storage.queue.get(lab.resource_group, lab.account_name, lab.queue_name)
    except ResourceNotFoundError:
        return [f"queue {lab.queue_name!r} does not exist in account {lab.account_name!r} "
                f"(resource group {lab.resource_group!r})"]
    problems = []
    if dict(queue.metadata or {}) != metadata:
        problems.append(f"the queue's metadata is {dict(queue.metadata or {})}; it should be "
                        f"{metadata} (pass StorageQueue(metadata=...))")
    seen = QueueClient(lab.account_url, lab.queue_name, credential=lab.credential)
    try:
        seen.get_queue_properties()
    except HttpResponseError as error:
        problems.append(f"the data plane cannot read the queue ({error.error_code}): create it "
                        f"in lab.account_name")
    return problems


def check_lab_groups(names, resources: ResourceManagementClient) -> Result:
    """13: ``names`` are exactly the resource groups that carry the lab's tags."""
    if not names:
        return report(["`lab_groups` is empty: list the resource groups with "
                       "resources.resource_groups.list(filter=...) and keep their names"], "")
    if isinstance(names, str):
        return report(["`lab_groups` should be a list of names, not one string"], "")
    given = {getattr(n, "name", n) for n in names}
    expected = {group.name for group in lab_resource_groups(resources)}
    problems = []
    extra = sorted(given - expected)
    if extra:
        problems.append(f"{extra} do not carry the lab's tags (purpose=queue-lab and "
                        f"managed-by=labsupport): filter with \"tagName eq 'purpose' and "
                        f"tagValue eq 'queue-lab'\" and check the other tag too")
    missing = sorted(expected - given)
    if missing:
        problems.append(f"{len(missing)} lab group(s) missing, e.g. {missing[0]!r}: keep every "
                        f"group the filtered list returns")
    return report(problems, "exactly the resource groups that carry the lab's tags (the group "
                            "without them is not among them).")
