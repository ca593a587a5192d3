"""Make Python clients trust the local cloud's CA, in local mode only.

The trusted certificates are certifi's roots plus the lab CA, so real Azure endpoints stay
verifiable. ``requests`` (sync SDK clients) reads ``REQUESTS_CA_BUNDLE`` on each call: it
names the hashed directory of those certificates, from which OpenSSL reads only the one a
connection needs (a bundle file would be parsed whole for every new connection).
``SSL_CERT_FILE`` names the bundle file, for clients that want a file; ``aiohttp`` (async
clients) builds its default SSL context at import, so that context is extended too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

TRUST_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


def trust_local_cloud(environment: Mapping[str, str], ca: Path) -> None:
    """Set the CA variables as the local cloud's client ``environment`` names them, and add
    the lab CA ``ca`` to already-built aiohttp contexts."""
    for name in TRUST_VARIABLES:
        os.environ[name] = environment[name]
    connector = sys.modules.get("aiohttp.connector")
    context = getattr(connector, "_SSL_CONTEXT_VERIFIED", None)
    if context is not None:
        context.load_verify_locations(cafile=str(ca))
