"""labsupport: what the queue lab's notebooks need that is not the lesson.

Start-up of the local cloud, configuration, tracing queue operations, plots and
exercise checks. The lessons themselves are the Azure SDK calls in the notebooks.
"""

from . import checks
from .config import LabConfig, load_config
from .errors import ConfigError, LabError, LocalCloudError
from .lab import Lab, connect
from .redact import describe_connection_string, mask, redact


def inspect(queue_client, *more_clients, label=None):
    """Watch queues live beside the cells (see :func:`labsupport.inspector.inspect`).

    ``labsupport.inspect(queue)`` or ``labsupport.inspect(queue, poison)``: counts, and one
    row per message with its state, dequeue count and time left; static in test runs.
    """
    from .inspector import inspect as _inspect  # ipywidgets only when a lesson asks

    return _inspect(queue_client, *more_clients, label=label)


__all__ = [
    "ConfigError",
    "Lab",
    "LabConfig",
    "LabError",
    "LocalCloudError",
    "checks",
    "connect",
    "describe_connection_string",
    "inspect",
    "load_config",
    "mask",
    "redact",
]
