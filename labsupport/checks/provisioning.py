"""Checks for 01 · provision with the management SDK, and 12 · teardown."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import StorageQueue
from azure.storage.queue import QueueClient

from ..errors import first_line
from ..patterns.error_codes import error_code
from ..provision import LAB_TAGS
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
        problems.append(f"the data plane cannot read the queue ({error_code(error)}): create it "
                        f"in lab.account_name")
    return problems


def check_lab_groups(find_lab_groups, credential, subscription_id: str,
                     management_url: str) -> Result:
    """13: ``find_lab_groups(resources)`` returns the names of exactly the resource groups
    that carry the lab's tags, filtering on the server.

    The check makes two groups the learner cannot know in advance — one with the lab's tags,
    one with only ``purpose=queue-lab`` — calls the function with a ``ResourceManagementClient``
    whose requests it records, and deletes both groups again. It judges the names returned
    (live state) and the ``$filter`` the list request carried (what ran on the server).
    """
    if not callable(find_lab_groups):
        return report(["`find_lab_groups` should be a function that takes the "
                       "ResourceManagementClient and returns the names"], "")
    sent: list[str] = []
    resources = ResourceManagementClient(
        credential, subscription_id, base_url=management_url,
        raw_request_hook=lambda request: sent.append(request.http_request.url))
    suffix = secrets.token_hex(3)
    tagged, half = f"rg-lab-check-{suffix}", f"rg-half-check-{suffix}"
    purpose = {"purpose": LAB_TAGS["purpose"]}
    creator = ResourceManagementClient(credential, subscription_id, base_url=management_url)
    creator.resource_groups.create_or_update(tagged, {"location": "eastus", "tags": LAB_TAGS})
    creator.resource_groups.create_or_update(half, {"location": "eastus", "tags": purpose})
    problems: list[str] = []
    try:
        returned = find_lab_groups(resources)
        expected = {group.name for group in lab_resource_groups(creator)}
    except Exception as error:  # the learner's code: report it, do not crash the check
        returned, expected = None, set()
        problems.append(f"your function raised {type(error).__name__}: {first_line(error)}")
    finally:
        for poller in [creator.resource_groups.begin_delete(name) for name in (tagged, half)]:
            poller.result()  # empty groups: quick, and nothing is left behind
    if returned is None:
        return report(problems, "")
    if not returned:
        return report(["your function returned nothing: list the resource groups with "
                       "resources.resource_groups.list(filter=...) and return their names"], "")
    if isinstance(returned, str):
        return report(["return a list of names, not one string"], "")
    given = {getattr(n, "name", n) for n in returned}
    filters = [parse_qs(urlsplit(url).query).get("$filter", [""])[0] for url in sent
               if "/resourcegroups" in urlsplit(url).path.lower()]
    if not filters:
        problems.append("no resource groups were listed through the client you were given: "
                        "call resources.resource_groups.list(...) on it")
    elif not any("tagname eq" in f.lower() and "tagvalue eq" in f.lower() for f in filters):
        problems.append("the list request carried no tag filter, so every group in the "
                        "subscription crossed the wire: pass filter=\"tagName eq 'purpose' and "
                        "tagValue eq 'queue-lab'\" so that the server filters")
    if half in given:
        problems.append(f"{half!r} has only purpose=queue-lab: ARM filters on one tag, so check "
                        f"managed-by=labsupport yourself")
    extra = sorted(given - expected - {half})
    if extra:
        problems.append(f"{extra} do not carry the lab's tags (purpose=queue-lab and "
                        f"managed-by=labsupport)")
    if tagged not in given:
        problems.append(f"a lab group made just now, {tagged!r}, is missing: list the groups "
                        f"each time the function runs instead of returning names you know")
    missing = sorted(expected - given - {tagged})
    if missing:
        problems.append(f"{len(missing)} lab group(s) missing, e.g. {missing[0]!r}: keep every "
                        f"group the filtered list returns")
    return report(problems, "the server filtered on a tag, and the function returned exactly "
                            "the groups that carry the lab's tags — including one made just now.")
