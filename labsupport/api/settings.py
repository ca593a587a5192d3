"""Where the service's queue is: an account URL, a credential and a queue name.

Built from the lab's configuration (:func:`labsupport.connect`), so the same service runs
on the local cloud or on Azure; or build one yourself for your own account.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from ..config import parse_port
from ..errors import ConfigError

DEFAULT_QUEUE = "queue-api"
DEFAULT_PORT = 8000
QUEUE_SETTING = "LAB_API_QUEUE"
PORT_SETTING = "LAB_API_PORT"
_QUEUE_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


def valid_queue_name(name: str) -> str:
    """Return ``name`` if Azure accepts it as a queue name, else raise :class:`ConfigError`."""
    if not _QUEUE_NAME.match(name or ""):
        raise ConfigError(
            f"{name!r} is not a valid queue name: use 3-63 lowercase letters, digits and "
            f"single hyphens, starting and ending with a letter or digit (e.g. 'orders')."
        )
    return name


def default_queue_name(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return valid_queue_name(env.get(QUEUE_SETTING, "").strip() or DEFAULT_QUEUE)


def default_port(environ: dict[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    port = parse_port(PORT_SETTING, env.get(PORT_SETTING, ""), lowest=1)
    return DEFAULT_PORT if port is None else port


@dataclass(frozen=True)
class QueueSettings:
    """What the app needs to build its one ``QueueClient``. Holds a credential: never print.

    ``credential`` None means Microsoft Entra ID: the app signs in with the ``aio``
    ``DefaultAzureCredential``; a SAS string or an async token credential may be given.
    """

    account_url: str
    queue_name: str
    credential: Any = field(default=None, repr=False)
    retry_total: int = 3  # the SDK's retries for transient failures, per call

    def __post_init__(self) -> None:
        valid_queue_name(self.queue_name)

    @classmethod
    def from_lab(cls, lab, queue_name: str | None = None, **options) -> QueueSettings:
        """The lab's storage account (either backend) and ``queue_name`` (default:
        ``LAB_API_QUEUE`` or ``queue-api``)."""
        return cls(account_url=lab.account_url, queue_name=queue_name or default_queue_name(),
                   credential=None, **options)
