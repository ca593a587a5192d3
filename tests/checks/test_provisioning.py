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


# --- 13 · the lab's resource groups -----------------------------------------------------------

@pytest.fixture
def groups(lab):
    """A subscription of its own with one lab-tagged and one untagged group."""
    resources, _ = provision.management_clients(DefaultAzureCredential(), str(uuid.uuid4()),
                                                lab.management_url)
    tagged, other = (f"rg-check-{kind}-{secrets.token_hex(3)}" for kind in ("lab", "other"))
    resources.resource_groups.create_or_update(tagged, ResourceGroup(location="eastus",
                                                                     tags=LAB_TAGS))
    resources.resource_groups.create_or_update(other, ResourceGroup(location="eastus",
                                                                    tags={"owner": "x"}))
    yield resources, tagged, other
    for name in (tagged, other):
        resources.resource_groups.begin_delete(name).result()


def test_lab_groups_passes_the_tagged_groups(groups):
    resources, tagged, _ = groups

    assert check_lab_groups([tagged], resources)


def test_lab_groups_refuses_everything_unfiltered(groups):
    resources, tagged, other = groups

    result = check_lab_groups([tagged, other], resources)

    assert len(result.problems) == 1 and f"['{other}'] do not carry the lab's tags" in \
        result.problems[0]


def test_lab_groups_empty(groups):
    resources, _, _ = groups

    assert check_lab_groups([], resources).problems[0].startswith("`lab_groups` is empty")


def test_lab_groups_missing_one(groups):
    resources, tagged, _ = groups
    extra = f"rg-check-extra-{secrets.token_hex(3)}"
    resources.resource_groups.create_or_update(extra, ResourceGroup(location="eastus",
                                                                    tags=LAB_TAGS))
    try:
        result = check_lab_groups([tagged], resources)
    finally:
        resources.resource_groups.begin_delete(extra).result()

    assert result.problems == [f"1 lab group(s) missing, e.g. {extra!r}: keep every group the "
                               f"filtered list returns"]
