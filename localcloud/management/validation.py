"""What a client may set on a resource, checked as ARM checks it: SKU, kind, account
properties (their types; read-only ones are dropped) and tags, and the defaults Azure
gives a new account. Rendering the stored result is :mod:`.rendering`'s part.
"""

from __future__ import annotations

from .arm import now
from .errors import (
    InvalidRequestContent,
    InvalidTagName,
    InvalidTagNameCharacters,
    InvalidTags,
    InvalidTagValueLength,
    InvalidValuesForRequestParameters,
    quote,
)

SKUS = ("Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Premium_LRS",
        "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS")
KINDS = ("Storage", "StorageV2", "BlobStorage", "FileStorage", "BlockBlobStorage")
# Properties the service computes; ignored if a client sends them.
READ_ONLY = {"provisioningState", "creationTime", "primaryEndpoints", "primaryLocation",
             "statusOfPrimary", "secondaryEndpoints", "secondaryLocation", "statusOfSecondary",
             "keyCreationTime", "lastGeoFailoverTime", "privateEndpointConnections"}


def sku_name(value: object) -> str:
    """The name in a request's ``sku`` object (``{"name": "Standard_LRS"}``)."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise InvalidRequestContent(
            f"'sku' must be an object such as {{\"name\": \"Standard_LRS\"}}, "
            f"not {_kind_of(value)}.")
    return sku(value.get("name"))["name"]


def sku(name: object) -> dict:
    if not isinstance(name, str) or name not in SKUS:
        raise InvalidValuesForRequestParameters(f"sku.name '{quote(name)}'. Use "
                                                f"one of {', '.join(SKUS)}.")
    return {"name": name, "tier": name.split("_", 1)[0]}


def check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        raise InvalidValuesForRequestParameters(f"kind '{quote(kind)}'. Use "
                                                f"one of {', '.join(KINDS)}.")
    return kind  # type: ignore[return-value]


def default_properties(kind: str) -> dict:
    """What Azure sets on a new account unless the request says otherwise."""
    enabled = {"keyType": "Account", "enabled": True, "lastEnabledTime": now()}
    defaults = {
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        "allowCrossTenantReplication": False,
        "defaultToOAuthAuthentication": False,
        "supportsHttpsTrafficOnly": True,
        "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
                        "defaultAction": "Allow"},
        "encryption": {"services": {"blob": dict(enabled), "file": dict(enabled)},
                       "keySource": "Microsoft.Storage"},
    }
    if kind in ("StorageV2", "BlobStorage"):
        defaults["accessTier"] = "Hot"
    return defaults


def writable(properties: object) -> dict:
    """The properties a client may set (read-only ones dropped), their types checked."""
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        raise InvalidRequestContent("'properties' must be an object.")
    settable = {k: v for k, v in properties.items() if k not in READ_ONLY}
    for name, value in settable.items():
        check = PROPERTY_CHECKS.get(name)
        if check is not None and value is not None:
            check(name, value)
    return settable


def merge(current: dict, patch: dict) -> dict:
    """JSON merge patch (RFC 7386): objects merge, null removes, anything else replaces."""
    result = dict(current)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


# ---------------------------------------------------------------------- tags

# https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations:
# at most 50 tags; names up to 512 characters (128 on storage accounts), values up to 256;
# no '<', '>', '%', '&', '\\', '?', '/' or control characters in names. The codes and
# messages are ARM's (as Microsoft's Az.Migrate module repeats them).
MAX_TAGS = 50
TAG_NAME_LIMIT = 512
STORAGE_TAG_NAME_LIMIT = 128
TAG_VALUE_LIMIT = 256
_RESERVED_TAG_CHARACTERS = set("<>%&\\?/")


def check_tags(tags: object, name_limit: int = TAG_NAME_LIMIT) -> dict | None:
    """The tags sent, or ARM's 400 naming the rule they break (``None`` stays None)."""
    if tags is None:
        return None
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise InvalidRequestContent("'tags' must be an object of string values.")
    if len(tags) > MAX_TAGS:
        raise InvalidTags(f"Too many tags specified. Requested tag count - '{len(tags)}'. Maximum "
                          f"number of tags allowed - '{MAX_TAGS}'.")
    for name, value in tags.items():
        if not name.strip():
            raise InvalidTagName(
                "The tag name must be non-null, non-empty and non-whitespace only. "
                "Please provide an actual value.")
        if len(name) > name_limit:
            raise InvalidTagName(f"Tag key too large. Following tag name '{quote(name)}' exceeded "
                                 f"the maximum length. Maximum allowed length for tag name - "
                                 f"'{name_limit}' characters.")
        if any(c in _RESERVED_TAG_CHARACTERS or ord(c) < 32 or ord(c) == 127 for c in name):
            raise InvalidTagNameCharacters(
                f"The tag names '{quote(name)}' have reserved characters "
                f"'<,>,%,&,\\,?,/' or control characters.")
        if len(value) > TAG_VALUE_LIMIT:
            raise InvalidTagValueLength(
                f"Tag value too large. Following tag value '{quote(value)}' "
                f"exceeded the maximum length. Maximum allowed length for tag value "
                f"- '{TAG_VALUE_LIMIT}' characters.")
    return dict(tags)


# ---------------------------------------------------------------- property types
# The storage-account properties the lab touches, checked the way ARM's deserializer
# checks them: a wrong type or an unknown enum value is InvalidRequestContent. Other
# properties are stored as sent (their nesting is bounded by the body parser).


def _kind_of(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), "null")


def _boolean(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidRequestContent(f"'properties.{name}' must be true or false, not "
                                    f"{_kind_of(value)}.")


def _one_of(*allowed: str):
    def check(name: str, value: object) -> None:
        if value not in allowed:
            raise InvalidRequestContent(f"'properties.{name}' must be one of "
                                        f"{', '.join(allowed)}; got '{quote(value)}'.")
    return check


def _object(name: str, value: object) -> None:
    if not isinstance(value, dict):
        raise InvalidRequestContent(
            f"'properties.{name}' must be an object, not {_kind_of(value)}.")


def _network_acls(name: str, acls: object) -> None:
    """``networkAcls``: bypass (text), defaultAction (Allow|Deny), ipRules
    ([{value, action}]), virtualNetworkRules ([{id, action}]), resourceAccessRules."""
    if not isinstance(acls, dict):
        raise InvalidRequestContent(f"'properties.{name}' must be an object, not {_kind_of(acls)}.")
    if acls.get("bypass") is not None and not isinstance(acls["bypass"], str):
        raise InvalidRequestContent("'properties.networkAcls.bypass' must be a string such as "
                                    "'AzureServices' or 'Logging, Metrics'.")
    if acls.get("defaultAction") is not None:
        _one_of("Allow", "Deny")("networkAcls.defaultAction", acls["defaultAction"])
    for rules, key in (("ipRules", "value"), ("virtualNetworkRules", "id"),
                       ("resourceAccessRules", "resourceId")):
        listed = acls.get(rules)
        if listed is None:
            continue
        if not isinstance(listed, list) or not all(
                isinstance(rule, dict) and isinstance(rule.get(key), str) for rule in listed):
            raise InvalidRequestContent(f"'properties.networkAcls.{rules}' must be an array of "
                                        f"objects, each with a string '{key}'.")


PROPERTY_CHECKS = {
    "networkAcls": _network_acls,
    "encryption": _object,
    "allowBlobPublicAccess": _boolean,
    "allowSharedKeyAccess": _boolean,
    "allowCrossTenantReplication": _boolean,
    "defaultToOAuthAuthentication": _boolean,
    "supportsHttpsTrafficOnly": _boolean,
    "isHnsEnabled": _boolean,
    "minimumTlsVersion": _one_of("TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"),
    "accessTier": _one_of("Hot", "Cool", "Cold", "Premium"),
    "publicNetworkAccess": _one_of("Enabled", "Disabled", "SecuredByPerimeter"),
}
