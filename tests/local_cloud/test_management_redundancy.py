"""Geo-redundant accounts: ``secondaryLocation``, ``statusOfSecondary``, ``secondaryEndpoints``.

As Microsoft.Storage's StorageAccountProperties describes them: the secondary is the
primary region's pair (https://learn.microsoft.com/azure/reliability/regions-paired);
RA-GRS and RA-GZRS also have secondary endpoints, the account name with ``-secondary``,
which Azurite serves for reads. A geo SKU in a region without a pair is Azure's 400.
"""

from __future__ import annotations

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.storage.queue import QueueServiceClient

GROUP = "rg-redundancy"


@pytest.fixture
def group(resources, storage):
    resources.resource_groups.create_or_update(GROUP, {"location": "eastus"})
    yield GROUP
    for account in storage.storage_accounts.list_by_resource_group(GROUP):
        storage.storage_accounts.delete(GROUP, account.name)


def create(storage, name: str, sku: str, location: str = "eastus"):
    return storage.storage_accounts.begin_create(
        GROUP, name, {"sku": {"name": sku}, "kind": "StorageV2", "location": location}).result()


@pytest.mark.parametrize(("sku", "location", "secondary"), [
    ("Standard_GRS", "eastus", "westus"),
    ("Standard_GZRS", "northeurope", "westeurope"),
    ("Standard_GRS", "westus3", "eastus"),
])
def test_geo_redundant_accounts_name_their_paired_region(storage, group, sku, location,
                                                         secondary):
    account = create(storage, "georedund01", sku, location)
    shown = storage.storage_accounts.get_properties(group, "georedund01")
    for body in (account, shown):
        assert (body.primary_location, body.status_of_primary) == (location, "available")
        assert (body.secondary_location, body.status_of_secondary) == (secondary, "available")
        assert body.secondary_endpoints is None, "only read-access SKUs have them"


@pytest.mark.parametrize("sku", ["Standard_RAGRS", "Standard_RAGZRS"])
def test_read_access_accounts_have_secondary_endpoints_that_serve_reads(storage, group, arm_env,
                                                                       sku):
    account = create(storage, "georead01", sku)
    assert account.secondary_location == "westus"
    endpoints = account.secondary_endpoints
    for service in ("queue", "blob", "table"):
        primary = getattr(account.primary_endpoints, service)
        assert getattr(endpoints, service) == primary.replace("/georead01/",
                                                              "/georead01-secondary/")
    key = storage.storage_accounts.list_keys(group, "georead01").keys_property[0].value
    credential = AzureNamedKeyCredential("georead01", key)
    QueueServiceClient(account.primary_endpoints.queue, credential).create_queue("orders")

    secondary = QueueServiceClient(endpoints.queue, credential)
    assert [q.name for q in secondary.list_queues()] == ["orders"]


def test_locally_redundant_accounts_have_no_secondary(storage, group):
    for sku in ("Standard_LRS", "Standard_ZRS"):
        account = create(storage, "nogeo01", sku)
        assert (account.secondary_location, account.status_of_secondary,
                account.secondary_endpoints) == (None, None, None)


def test_changing_the_sku_adds_or_removes_the_secondary(storage, group):
    create(storage, "skuchange01", "Standard_LRS")

    to_ragrs = storage.storage_accounts.update(group, "skuchange01",
                                               {"sku": {"name": "Standard_RAGRS"}})
    assert to_ragrs.secondary_location == "westus"
    assert to_ragrs.secondary_endpoints.queue.endswith("/skuchange01-secondary/")

    back = storage.storage_accounts.update(group, "skuchange01",
                                           {"sku": {"name": "Standard_LRS"}})
    assert (back.secondary_location, back.secondary_endpoints) == (None, None)


def test_a_geo_sku_in_a_region_without_a_pair_is_refused(storage, group):
    with pytest.raises(HttpResponseError) as caught:
        create(storage, "unpaired01", "Standard_GRS", "polandcentral")
    assert (caught.value.status_code, caught.value.error.code) == (
        400, "RedundancyConfigurationNotAvailableInRegion")
    assert "Sku: Standard_GRS, Kind: StorageV2" in caught.value.error.message
    assert "Region - polandcentral" in caught.value.error.message

    local = create(storage, "unpaired02", "Standard_LRS", "polandcentral")
    assert local.secondary_location is None
