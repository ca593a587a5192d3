"""Where the service's queue is: an account URL, a credential and a queue name.

Built from the lab's configuration (:func:`labsupport.connect`), so the same service runs
on the local cloud or on Azure; or build one yourself for your own account.

The settings also bound every call to storage. The SDK's defaults suit a batch job, not a
request a client waits for: 20 s to connect, 60 s per read, and 3 retries after 18, 24 and
42 s (±3 s) — a peek on a queue Azurite could not serve answered after 77–88 s. Here a call
gives up after 2 s connecting or 3 s without a byte, and retries once after about half a
second: storage that is down costs under a second, storage that hangs about 7 s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..config import parse_port
from ..errors import ConfigError
from ..queue_names import is_queue_name

DEFAULT_QUEUE = "queue-api"
DEFAULT_PORT = 8000
QUEUE_SETTING = "LAB_API_QUEUE"
PORT_SETTING = "LAB_API_PORT"


def valid_queue_name(name: str) -> str:
    """Return ``name`` if Azure accepts it as a queue name, else raise :class:`ConfigError`."""
    if not is_queue_name(name):
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
class QueueClientSettings:
    """What the app needs to build its one ``QueueClient``. Holds a credential: never print.

    ``credential`` None means Microsoft Entra ID: the app signs in with the ``aio``
    ``DefaultAzureCredential``; a SAS string or an async token credential may be given.
    """

    account_url: str
    queue_name: str
    credential: Any = field(default=None, repr=False)
    retry_total: int = 1  # the SDK's retries for transient failures, per call
    retry_backoff: float = 0.5  # seconds before a retry (±50 % jitter)
    connection_timeout: float = 2.0  # seconds to connect (TCP and TLS)
    read_timeout: float = 3.0  # seconds the service may stay silent while answering

    def __post_init__(self) -> None:
        valid_queue_name(self.queue_name)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for the async ``QueueClient``: its timeouts, and the settings of
        the SDK's own retry policy (``ExponentialRetry``, which the client builds from them:
        it waits ``initial_backoff + increment_base ** retry`` seconds, ± the jitter)."""
        return {
            "retry_total": self.retry_total,
            "initial_backoff": self.retry_backoff,
            "increment_base": 0,  # the same short wait before every retry
            "random_jitter_range": self.retry_backoff / 2,
            "connection_timeout": self.connection_timeout,
            "read_timeout": self.read_timeout,
        }

    @classmethod
    def from_lab(cls, lab, queue_name: str | None = None, **options) -> QueueClientSettings:
        """The lab's storage account (either backend) and ``queue_name`` (default:
        ``LAB_API_QUEUE`` or ``queue-api``)."""
        return cls(account_url=lab.account_url, queue_name=queue_name or default_queue_name(),
                   credential=None, **options)
