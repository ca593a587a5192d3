"""Azure's naming rules for resource groups, storage accounts, queues, regions and GUIDs.

The local cloud's one home for them: it stands for ARM, so it checks names as ARM does,
with ARM's codes. The lessons' side keeps its own copy (the local cloud imports nothing
of it, and it must not depend on an emulator); see docs/ARCHITECTURE.md.

Each ``check_*`` raises the :class:`ArmError` Azure answers with; ``account_name_problem``
also feeds checkNameAvailability.
"""

from __future__ import annotations

import re

from .errors import (
    AccountNameInvalid,
    InvalidResourceGroup,
    InvalidResourceName,
    InvalidSubscriptionId,
    LocationNotAvailableForResourceGroup,
    LocationNotAvailableForResourceType,
    LocationRequired,
    OutOfRangeInput,
    quote,
)

_GROUP_CHAR = re.compile(r"[-\w._()]")
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_QUEUE = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$")
_REGION = re.compile(r"^[a-z][a-z0-9]{2,30}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
QUEUE_RULE = ("Queue names are 3-63 lowercase letters, digits and single hyphens, starting "
              "and ending with a letter or digit.")


def is_guid(value: object) -> bool:
    """True for a GUID such as 00000000-0000-4000-8000-000000000001 (any letter case):
    subscription ids, role assignment names, principal ids, role definition ids."""
    return isinstance(value, str) and _GUID.match(value) is not None


def check_subscription(subscription: str) -> None:
    if not is_guid(subscription):
        raise InvalidSubscriptionId(
            f"The provided subscription identifier '{subscription}' is malformed "
            f"or invalid.")


def check_resource_group(name: str) -> None:
    """1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'."""
    bad = "".join(dict.fromkeys(c for c in name if not _GROUP_CHAR.match(c)))
    if bad:
        raise InvalidResourceGroup(
            f"The provided resource group name '{name}' has these invalid "
            f"characters: '{bad}'. The name can only be a letter, digit, '-', '.', "
            f"'(', ')' or '_'. For more details, visit "
            f"https://aka.ms/ResourceGroupNamingRestrictions.")
    if not 1 <= len(name) <= 90:
        raise InvalidResourceGroup(
            f"The provided resource group name '{name}' is {len(name)} characters "
            f"long; it must be 1 to 90 characters. For more details, visit "
            f"https://aka.ms/ResourceGroupNamingRestrictions.")
    if name.endswith("."):
        raise InvalidResourceGroup(
            f"The provided resource group name '{name}' ends with a period, which "
            f"is not allowed. For more details, visit "
            f"https://aka.ms/ResourceGroupNamingRestrictions.")


def account_name_problem(name: str) -> str | None:
    """Azure's message if ``name`` breaks the storage-account naming rules, else None."""
    if _ACCOUNT.match(name):
        return None
    return (f"{name} is not a valid storage account name. Storage account name must be "
            f"between 3 and 24 characters in length and use numbers and lower-case letters "
            f"only.")


def check_account(name: str) -> None:
    problem = account_name_problem(name)
    if problem:
        raise AccountNameInvalid(problem)


def check_queue(name: str) -> None:
    """The data plane's queue rules, answered with the data plane's codes."""
    if not 3 <= len(name) <= 63:
        raise OutOfRangeInput(f"The specified resource name length is not within the permissible "
                              f"limits: '{name}' has {len(name)} characters. {QUEUE_RULE}")
    if not _QUEUE.match(name):
        raise InvalidResourceName(
            f"The specified resource name contains invalid characters: '{name}'. "
            f"{QUEUE_RULE}")


def normalise_region(location: object, what: str = "resource group") -> str:
    """Azure accepts 'East US' for 'eastus'; anything that is not a region name is refused."""
    if not isinstance(location, str) or not location.strip():
        raise LocationRequired("The location property is required for this definition.")
    region = location.replace(" ", "").lower()
    if not _REGION.match(region):
        error = (LocationNotAvailableForResourceGroup if what == "resource group"
                 else LocationNotAvailableForResourceType)
        raise error(f"The provided location '{quote(location)}' is not available for "
                    f"{what}. Use a region name such as 'eastus' or 'westeurope'.")
    return region
