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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localcloud.certs import Certificates

TRUST_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


def trust_local_cloud(certificates: Certificates) -> None:
    """Point the CA variables at the lab's hashed directory and bundle, and add the lab CA
    to already-built aiohttp contexts."""
    os.environ["REQUESTS_CA_BUNDLE"] = str(certificates.ca_dir)
    os.environ["SSL_CERT_FILE"] = str(certificates.bundle)
    connector = sys.modules.get("aiohttp.connector")
    context = getattr(connector, "_SSL_CONTEXT_VERIFIED", None)
    if context is not None:
        context.load_verify_locations(cafile=str(certificates.ca))
