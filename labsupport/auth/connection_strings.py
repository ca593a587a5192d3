"""Say which part of a connection string is wrong — never its key.

The storage SDK only says "Connection string is either blank or malformed", or fails at
the first request when the key is damaged; :func:`check_connection_string` names the part
to fix.
"""

from __future__ import annotations

import base64
import binascii
import re

from .errors import AuthError

CONNECTION_STRING_NAMES = {
    name.lower() for name in (
        "DefaultEndpointsProtocol", "AccountName", "AccountKey", "EndpointSuffix",
        "SharedAccessSignature", "UseDevelopmentStorage", "DevelopmentStorageProxyUri",
        *(f"{service}{kind}" for service in ("Blob", "Queue", "Table", "File")
          for kind in ("Endpoint", "SecondaryEndpoint")),
    )
}


def check_connection_string(text: str) -> None:
    """Raise :class:`AuthError` saying what is wrong with a connection string (never its key)."""
    if not isinstance(text, str) or not text.strip():
        raise AuthError("The connection string is empty. Copy it from the portal (Storage "
                        "account → Access keys) or build it from `list_keys`; in the lab it is "
                        "`lab.connection_string`.")
    text = text.strip()
    if text[0] in "'\"" or text[-1] in "'\"":
        raise AuthError("The connection string starts or ends with a quote: remove the quotes "
                        "you copied with it.")
    settings: dict[str, str] = {}
    for number, part in enumerate((p for p in text.split(";") if p.strip()), start=1):
        name, _, value = part.partition("=")
        if name.strip().lower() not in CONNECTION_STRING_NAMES:
            shown = f" ({name.strip()!r})" if re.fullmatch(r"[A-Za-z]{3,40}", name.strip()) else ""
            raise AuthError(f"Part {number} of the connection string{shown} is not a setting "
                            f"it can have (AccountName, AccountKey, EndpointSuffix, "
                            f"QueueEndpoint, …): every part is Name=value and parts are "
                            f"separated by ';' — did a key lose its name, or a ';' slip into "
                            f"a value?")
        settings[name.strip().lower()] = value.strip()
    if settings.get("usedevelopmentstorage") == "true":
        return
    if "accountname" not in settings and "queueendpoint" not in settings:
        raise AuthError("The connection string has no AccountName (or QueueEndpoint): it should "
                        "look like DefaultEndpointsProtocol=https;AccountName=<account>;"
                        "AccountKey=<key>;EndpointSuffix=core.windows.net.")
    key = settings.get("accountkey")
    if key is None and "sharedaccesssignature" not in settings:
        raise AuthError("The connection string has neither AccountKey nor "
                        "SharedAccessSignature, so requests could not be signed.")
    if key is not None:
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise AuthError(f"AccountKey is not valid base64 (it has {len(key)} characters; an "
                            f"account key has 88 and ends with '=='): copy the whole key "
                            f"again.") from None
        if len(raw) != 64:
            raise AuthError(f"AccountKey decodes to {len(raw)} bytes; a storage account key is "
                            f"64 bytes (88 base64 characters): it looks truncated or padded.")
