"""labsupport.teardown against the local cloud: the guard, the dry run, idempotence, and
that it deletes everything it lists.

Every test works in a subscription of its own, so the lab's resource group (which the
notebooks and the other tests use) is never touched.
"""

from __future__ import annotations

import secrets
import uuid

import pytest
from azure.identity import DefaultAzureCredential
from azure.mgmt.resource.resources.models import ResourceGroup

from labsupport import provision, teardown
from labsupport.errors import TeardownRefused
from labsupport.provision import LAB_TAGS

LOCATION = "eastus"


@pytest.fixture
def clients(lab):
    """Management clients on a fresh subscription of the local cloud."""
    subscription = str(uuid.uuid4())
    return provision.management_clients(DefaultAzureCredential(), subscription,
                                        lab.management_url)


def new_group(clients, tags: dict | None, *, account: bool = False) -> tuple[str, str | None]:
    """A resource group with ``tags`` and, if asked, an account with queues orders/invoices."""
    resources, storage = clients
    name = f"rg-teardown-test-{secrets.token_hex(3)}"
    resources.resource_groups.create_or_update(name, ResourceGroup(location=LOCATION, tags=tags))
    if not account:
        return name, None
    account_name = f"tdtest{secrets.token_hex(6)}"
    provision.ensure_storage_account(storage, name, account_name, LOCATION)
    provision.ensure_queue(storage, name, account_name, "orders", {"lesson": "11"})
    provision.ensure_queue(storage, name, account_name, "invoices")
    return name, account_name


@pytest.fixture
def lab_group(clients):
    """A group with the lab's tags, one account and two queues; removed after the test."""
    name, account = new_group(clients, LAB_TAGS, account=True)
    yield name, account
    resources, _ = clients
    if resources.resource_groups.check_existence(name):
        resources.resource_groups.begin_delete(name).result()


def account_exists(storage, group: str, account: str) -> bool:
    return account in [a.name for a in storage.storage_accounts.list_by_resource_group(group)]


def test_plan_lists_the_accounts_and_queues_of_a_lab_group(clients, lab_group):
    group, account = lab_group

    plan = teardown.plan(*clients, group)

    assert plan.exists and plan.tags == LAB_TAGS
    assert plan.accounts == (teardown.AccountPlan(account, ("invoices", "orders")),)
    assert plan.summary() == f"resource group {group} with 1 storage account(s) and 2 queue(s)"


def test_a_plan_lists_the_tags_in_name_order_whatever_order_they_were_written_in(clients):
    # ARM keeps tags in the order they were written; lesson 12 prints a plan under nbval.
    written = dict(reversed(sorted(LAB_TAGS.items())))
    group, _ = new_group(clients, written)
    try:
        plan = teardown.plan(*clients, group)
        assert list(plan.tags) == sorted(LAB_TAGS)
        assert list(clients[0].resource_groups.get(group).tags) == list(written)
    finally:
        clients[0].resource_groups.begin_delete(group).result()


@pytest.mark.parametrize("tags", [
    None,
    {"owner": "someone-else"},
    {"purpose": "queue-lab"},  # one of the two tags is not enough
    {"purpose": "queue-lab", "managed-by": "someone-else"},
], ids=["untagged", "other-tags", "one-lab-tag", "wrong-value"])
def test_refuses_a_group_without_the_lab_tags(clients, tags):
    resources, _ = clients
    group, _ = new_group(clients, tags)
    try:
        with pytest.raises(TeardownRefused) as refused:
            teardown.teardown(*clients, group)
        assert resources.resource_groups.check_existence(group), "the refused group was deleted"
    finally:
        resources.resource_groups.begin_delete(group).result()

    message = str(refused.value)
    assert f"Refusing to delete resource group {group!r}" in message
    assert "purpose=queue-lab, managed-by=labsupport" in message, "names the tags it wants"
    assert f"az group delete -n {group}" in message, "says how to delete it by hand"


def test_refusal_comes_before_any_delete(clients):
    resources, storage = clients
    group, account = new_group(clients, {"owner": "someone-else"}, account=True)
    try:
        with pytest.raises(TeardownRefused):
            teardown.teardown(*clients, group)
        assert account_exists(storage, group, account), "an account of a refused group was deleted"
        assert [q.name for q in storage.queue.list(group, account)] == ["invoices", "orders"]
    finally:
        resources.resource_groups.begin_delete(group).result()


def test_dry_run_lists_everything_and_changes_nothing(clients, lab_group):
    resources, storage = clients
    group, account = lab_group

    plan = teardown.teardown(*clients, group, dry_run=True)

    assert plan.account(account).queues == ("invoices", "orders")
    assert resources.resource_groups.check_existence(group), "the dry run deleted the group"
    assert account_exists(storage, group, account), "the dry run deleted the account"
    assert [q.name for q in storage.queue.list(group, account)] == ["invoices", "orders"]


def test_teardown_deletes_everything_it_lists(clients, lab_group):
    resources, storage = clients
    group, account = lab_group
    listed = teardown.plan(*clients, group)

    deleted = teardown.teardown(*clients, group)

    assert deleted == listed, "teardown reports exactly what the plan listed"
    assert not resources.resource_groups.check_existence(group), "the group is still there"
    assert storage.storage_accounts.check_name_availability(
        {"name": account, "type": provision.ACCOUNT_TYPE}).name_available, "account still there"


def test_second_run_has_nothing_to_delete(clients):
    group, _ = new_group(clients, LAB_TAGS)
    first = teardown.teardown(*clients, group)

    again = teardown.teardown(*clients, group)

    assert first.exists, "the first run found the group"
    assert not again.exists and again.accounts == ()
    assert again.summary() == f"nothing to delete: resource group {group} does not exist"


def test_lab_resource_groups_lists_only_fully_tagged_groups(clients):
    resources, _ = clients
    tagged, _ = new_group(clients, LAB_TAGS)
    half, _ = new_group(clients, {"purpose": "queue-lab"})
    untagged, _ = new_group(clients, None)
    try:
        found = [group.name for group in teardown.lab_resource_groups(resources)]
    finally:
        for group in (tagged, half, untagged):
            resources.resource_groups.begin_delete(group).result()

    assert found == [tagged]


def test_is_lab_group_needs_every_tag_with_its_value():
    assert teardown.is_lab_group(ResourceGroup(location=LOCATION, tags=dict(LAB_TAGS)))
    assert teardown.is_lab_group(ResourceGroup(location=LOCATION,
                                               tags={**LAB_TAGS, "lesson": "01"}))
    assert not teardown.is_lab_group(ResourceGroup(location=LOCATION))
    assert not teardown.is_lab_group(ResourceGroup(location=LOCATION,
                                                   tags={"purpose": "queue-lab"}))
