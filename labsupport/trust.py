"""Make Python clients trust the local cloud's CA, in local mode only.

The bundle is certifi's roots plus the lab CA, so real Azure endpoints stay verifiable.
``requests`` (sync SDK clients) reads ``REQUESTS_CA_BUNDLE`` on each call; ``aiohttp``
(async clients) builds its default SSL context at import, so that context is extended too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TRUST_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


def trust_bundle(bundle: Path, ca: Path) -> None:
    """Point the CA variables at ``bundle`` and add ``ca`` to already-built aiohttp contexts."""
    for name in TRUST_VARIABLES:
        os.environ[name] = str(bundle)
    connector = sys.modules.get("aiohttp.connector")
    context = getattr(connector, "_SSL_CONTEXT_VERIFIED", None)
    if context is not None:
        context.load_verify_locations(cafile=str(ca))
