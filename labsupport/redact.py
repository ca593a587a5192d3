"""Keep secrets out of outputs and logs: account keys, connection strings, SAS, tokens."""

from __future__ import annotations

import re

# Azurite's published development key, so it is caught even though it is public.
AZURITE_DEV_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
MASK = "***"

PATTERNS = [
    # AccountKey=...; / SharedAccessSignature=...; inside connection strings
    (re.compile(r"(AccountKey=)[^;\s'\"]+"), rf"\g<1>{MASK}"),
    (re.compile(r"(SharedAccessSignature=)[^;\s'\"]+"), rf"\g<1>{MASK}"),
    # sig= in SAS query strings (raw or URL-encoded)
    (re.compile(r"([?&]sig=)[A-Za-z0-9%+/=]+"), rf"\g<1>{MASK}"),
    (re.compile(r"(\bsig=)[A-Za-z0-9%+/=]{10,}"), rf"\g<1>{MASK}"),
    # JWTs (Entra ID access tokens)
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), f"<token {MASK}>"),
    # Authorization headers
    (re.compile(r"((?:Bearer|SharedKey)\s+)[^\s'\"]+"), rf"\g<1>{MASK}"),
    # A bare 64-byte base64 account key
    (re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"), f"<key {MASK}>"),
]


def redact(text: str) -> str:
    """Return ``text`` with every key, SAS signature and token replaced by ``***``."""
    text = text.replace(AZURITE_DEV_KEY, f"<key {MASK}>")
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def mask(secret: str, keep: int = 4) -> str:
    """Show only the first characters of a secret and its length: ``'abcd…(88 chars)'``."""
    return f"{secret[:keep]}…({len(secret)} chars)"


def looks_secret(text: str) -> bool:
    """True if ``redact`` would change the text."""
    return redact(text) != text


class Secret(str):
    """A string that hides itself in reprs (tracebacks, notebook displays, pytest output).

    Use it like the plain string (SDKs accept it); only ``repr()`` is masked, so
    ``print(secret)`` still shows it: never print one.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<secret {MASK} ({len(self)} chars)>"


SECRET_PARTS = ("AccountKey", "SharedAccessSignature")


def describe_connection_string(connection_string: str) -> str:
    """One line per ``name=value`` part of a connection string, secrets hidden.

    Shows a connection string's structure without its key: the safe way to print one.
    """
    parts = [p.partition("=") for p in connection_string.strip(";").split(";") if p]
    width = max(len(name) for name, _, _ in parts)
    lines = []
    for name, _, value in parts:
        shown = f"{mask(value, keep=0)[:-1]}, hidden)" if name in SECRET_PARTS else redact(value)
        lines.append(f"{name:<{width}}  {shown}")
    return "\n".join(lines)
