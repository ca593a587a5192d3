"""Geo-redundancy of a storage account: its secondary region and secondary endpoints.

A geo-redundant SKU (GRS, RA-GRS, GZRS, RA-GZRS) copies an account to the primary
region's pair (Microsoft's table of region pairs:
https://learn.microsoft.com/azure/reliability/regions-paired), and the account then
carries ``secondaryLocation`` and ``statusOfSecondary``; a read-access SKU (RA-GRS,
RA-GZRS) also ``secondaryEndpoints``, the account name with ``-secondary`` (Microsoft.Storage
REST reference, StorageAccountProperties:
https://learn.microsoft.com/rest/api/storagerp/storage-accounts/get-properties). Azurite
serves reads at ``<account>-secondary`` too (one copy of the data: nothing lags, unlike
Azure's asynchronous replication). A region with no pair has no geo-redundant SKU: Azure
answers 400 ``RedundancyConfigurationNotAvailableInRegion`` (recorded answers quoted in
https://github.com/Azure/Azure-Landing-Zones/issues/2437).
"""

from __future__ import annotations

from .errors import RedundancyConfigurationNotAvailableInRegion

GEO_SKUS = ("Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS")
READ_ACCESS_SKUS = ("Standard_RAGRS", "Standard_RAGZRS")

# Microsoft's region pairs (both ways unless a region's pair is another's, as for
# Brazil South -> South Central US, West US 3 -> East US, West India -> South India).
_PAIRS = (
    ("eastus", "westus"), ("eastus2", "centralus"), ("northcentralus", "southcentralus"),
    ("westus2", "westcentralus"), ("canadacentral", "canadaeast"),
    ("northeurope", "westeurope"), ("uksouth", "ukwest"), ("francecentral", "francesouth"),
    ("germanywestcentral", "germanynorth"), ("norwayeast", "norwaywest"),
    ("swedencentral", "swedensouth"), ("switzerlandnorth", "switzerlandwest"),
    ("eastasia", "southeastasia"), ("japaneast", "japanwest"),
    ("koreacentral", "koreasouth"), ("australiaeast", "australiasoutheast"),
    ("australiacentral", "australiacentral2"), ("centralindia", "southindia"),
    ("jioindiawest", "jioindiacentral"), ("southafricanorth", "southafricawest"),
    ("uaenorth", "uaecentral"),
)
_ONE_WAY = {"brazilsouth": "southcentralus", "brazilsoutheast": "brazilsouth",
            "westus3": "eastus", "westindia": "southindia"}
PAIRED = {**{a: b for a, b in _PAIRS}, **{b: a for a, b in _PAIRS}, **_ONE_WAY}


def is_geo(sku: str) -> bool:
    return sku in GEO_SKUS


def secondary_location(region: str) -> str | None:
    """The region a geo-redundant account in ``region`` is copied to, if it has a pair."""
    return PAIRED.get(region)


def check(sku: str, kind: str, region: str) -> None:
    """Azure's 400 for a geo-redundant SKU in a region without a pair."""
    if is_geo(sku) and secondary_location(region) is None:
        raise RedundancyConfigurationNotAvailableInRegion(
            f"The storage account failed to create due to redundancy configuration - Sku: "
            f"{sku}, Kind: {kind} - not available in selected Region - {region}. Please make "
            f"sure the redundancy configuration selected is available in your region. For "
            f"more information about redundancy configurations, see "
            f"https://docs.microsoft.com/en-us/azure/storage/common/storage-redundancy")
