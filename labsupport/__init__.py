"""labsupport: what the queue lab's notebooks need that is not the lesson.

Start-up of the local cloud, configuration, tracing queue operations, plots and
exercise checks. The lessons themselves are the Azure SDK calls in the notebooks.
"""

from . import checks
from .config import LabConfig, load_config
from .errors import ConfigError, LabError, LocalCloudError
from .lab import Lab, connect
from .redact import describe_connection_string, mask, redact

__all__ = [
    "ConfigError",
    "Lab",
    "LabConfig",
    "LabError",
    "LocalCloudError",
    "checks",
    "connect",
    "describe_connection_string",
    "load_config",
    "mask",
    "redact",
]
