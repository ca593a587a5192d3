"""Azure's rule for queue names — the one copy the lessons, the checks and the queue API use.

A queue name is 3 to 63 characters long: lowercase letters, digits and hyphens, starting
and ending with a letter or digit, never two hyphens in a row ("Naming queues and
metadata", learn.microsoft.com/rest/api/storageservices/naming-queues-and-metadata).
The local cloud checks names on its own, as the service it stands in for does; the
poison-queue pattern keeps its own length (patterns import nothing of the lab), which a
test holds equal to this one.
"""

from __future__ import annotations

import re

MAX_LENGTH = 63
_QUEUE_NAME = re.compile(rf"(?=.{{3,{MAX_LENGTH}}}\Z)[a-z0-9]+(?:-[a-z0-9]+)*")


def is_queue_name(name: object) -> bool:
    """True if Azure Queue Storage accepts ``name`` as a queue name."""
    return isinstance(name, str) and _QUEUE_NAME.fullmatch(name) is not None
