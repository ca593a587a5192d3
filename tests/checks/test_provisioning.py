"""Checks for 01 and 13: each passes a correct solution and names what a wrong one gets wrong."""

from __future__ import annotations

import dataclasses
import secrets
import uuid

import pytest
from azure.identity import DefaultAzureCredential
from azure.mgmt.resource.resources.models import ResourceGroup
from azure.mgmt.storage.models import StorageQueue
from azure.storage.queue import QueueClient

from labsupport import provision
from labsupport.checks.provisioning import check_lab_groups, check_management_queue
from labsupport.provision import LAB_TAGS

METADATA = {"lesson": "01", "owner": "you"}


# --- 01 · a queue through the management plane ---------------------------------------------

@pytest.fixture
def exercise(lab):
    """The lab with a fresh queue name, its management client and the queue endpoint."""
    mine = dataclasses.replace(lab, queue_name=lab.new_queue_name("check-provisioning"))
    _, storage = provision.management_clients(lab.management_credential, lab.subscription_id,
                                              lab.management_url)
    endpoint = storage.storage_accounts.get_properties(
        lab.resource_group, lab.account_name).primary_endpoints.queue
    yield mine, storage, endpoint
    storage.queue.delete(lab.resource_group, lab.account_name, mine.queue_name)


def create(storage, lab, metadata=METADATA):
    return storage.queue.create(lab.resource_group, lab.account_name, lab.queue_name,
                                StorageQueue(metadata=metadata))


def test_management_queue_passes_the_solution(exercise, capsys):
    lab, storage, endpoint = exercise

    assert check_management_queue(create(storage, lab), endpoint, storage, lab,
                                  metadata=METADATA)
    assert capsys.readouterr().out.startswith("✅ queue check-provisioning-")


def test_management_queue_not_started(exercise, capsys):
    lab, storage, _ = exercise

    result = check_management_queue(None, None, storage, lab, metadata=METADATA)

    assert not result
    assert len(result.problems) == 2
    assert "nothing created yet" in result.problems[0]
    assert "`queue_endpoint` is empty" in result.problems[1]


def test_management_queue_made_with_the_data_plane(exercise):
    lab, storage, endpoint = exercise
    client = QueueClient(lab.account_url, lab.queue_name, credential=lab.credential)
    client.create_queue(metadata=METADATA)

    result = check_management_queue(client, endpoint, storage, lab, metadata=METADATA)

    assert result.problems == [
        "`made` is a QueueClient, not the StorageQueue that the management client returns: "
        "create the queue with storage.queue.create (the management plane), not with the "
        "data-plane SDK"]


def test_management_queue_with_other_metadata(exercise):
    lab, storage, endpoint = exercise

    result = check_management_queue(create(storage, lab, {"lesson": "01"}), endpoint, storage,
                                    lab, metadata=METADATA)

    assert len(result.problems) == 1 and "the queue's metadata is {'lesson': '01'}" in \
        result.problems[0]


def test_management_queue_with_the_blob_endpoint(exercise):
    lab, storage, _ = exercise
    blob = storage.storage_accounts.get_properties(
        lab.resource_group, lab.account_name).primary_endpoints.blob

    result = check_management_queue(create(storage, lab), blob, storage, lab, metadata=METADATA)

    assert len(result.problems) == 1 and "primary_endpoints.queue" in result.problems[0]


# --- 12 · the lab's resource groups -----------------------------------------------------------

@pytest.fixture
def subscription(lab):
    """A subscription of its own with one lab-tagged and one untagged group; the check adds
    and removes groups of its own in it."""
    subscription = str(uuid.uuid4())
    resources, _ = provision.management_clients(DefaultAzureCredential(), subscription,
                                                lab.management_url)
    tagged, other = (f"rg-check-{kind}-{secrets.token_hex(3)}" for kind in ("lab", "other"))
    resources.resource_groups.create_or_update(tagged, ResourceGroup(location="eastus",
                                                                     tags=LAB_TAGS))
    resources.resource_groups.create_or_update(other, ResourceGroup(location="eastus",
                                                                    tags={"owner": "x"}))
    yield subscription, resources, tagged
    for name in (tagged, other):
        resources.resource_groups.begin_delete(name).result()


def run_lab_groups(lab, subscription, find):
    return check_lab_groups(find, DefaultAzureCredential(), subscription, lab.management_url)


def filter_on_purpose(resources):
    """The notebook's solution: the server filters on one tag, the code checks the other."""
    return [group.name for group in resources.resource_groups.list(
                filter="tagName eq 'purpose' and tagValue eq 'queue-lab'")
            if (group.tags or {}).get("managed-by") == "labsupport"]


def filter_on_managed_by(resources):
    """Another right answer: filter on the other tag, check purpose in code."""
    listed = resources.resource_groups.list(
        filter="tagName eq 'managed-by' and tagValue eq 'labsupport'")
    return sorted(g.name for g in listed if (g.tags or {}).get("purpose") == "queue-lab")


def test_lab_groups_passes_a_server_side_filter_on_either_tag(lab, subscription):
    subscription, resources, _ = subscription
    assert run_lab_groups(lab, subscription, filter_on_purpose)
    assert run_lab_groups(lab, subscription, filter_on_managed_by)
    names = [g.name for g in resources.resource_groups.list()]
    assert not [n for n in names if "-check-" in n and not n.startswith("rg-check-")], \
        "the check deletes the groups it made"


def test_lab_groups_refuses_hard_coded_names(lab, subscription):
    subscription, _, tagged = subscription
    result = run_lab_groups(lab, subscription, lambda resources: [tagged])
    assert len(result.problems) == 2
    assert result.problems[0].startswith("no resource groups were listed")
    assert "made just now" in result.problems[1]


def test_lab_groups_refuses_filtering_on_the_client(lab, subscription):
    subscription, _, _ = subscription

    def client_side(resources):
        return [g.name for g in resources.resource_groups.list()
                if (g.tags or {}).get("purpose") == "queue-lab"
                and (g.tags or {}).get("managed-by") == "labsupport"]

    result = run_lab_groups(lab, subscription, client_side)
    assert result.problems == [result.problems[0]] and "carried no tag filter" in \
        result.problems[0]


def test_lab_groups_refuses_a_filter_on_one_tag_only(lab, subscription):
    subscription, _, _ = subscription

    def one_tag(resources):
        return [g.name for g in resources.resource_groups.list(
            filter="tagName eq 'purpose' and tagValue eq 'queue-lab'")]

    result = run_lab_groups(lab, subscription, one_tag)
    assert len(result.problems) == 1 and "has only purpose=queue-lab" in result.problems[0]


@pytest.mark.parametrize("find, says", [
    (lambda resources: [], "returned nothing"),
    (lambda resources: "rg-x", "not one string"),
    (lambda resources: 1 / 0, "raised ZeroDivisionError"),
    ("not a function", "should be a function"),
], ids=["empty", "string", "raises", "not-callable"])
def test_lab_groups_names_each_mistake(lab, subscription, find, says):
    subscription, _, _ = subscription
    assert says in run_lab_groups(lab, subscription, find).problems[0]
