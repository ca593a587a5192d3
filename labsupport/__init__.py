"""labsupport: what the queue lab's notebooks need that is not the lesson.

Start-up of the local cloud, configuration, tracing queue operations, plots and
exercise checks. The lessons themselves are the Azure SDK calls in the notebooks.

``import labsupport`` loads no Azure SDK: what needs one loads on first use (PEP 562),
so ``labsupport.connect`` loads the SDKs and ``labsupport.trace`` its module. The names
imported here need the standard library only.
"""

from __future__ import annotations

import importlib
import importlib.util

from .config import LabConfig, load_config
from .errors import ConfigError, LabError, LocalCloudError
from .redact import describe_connection_string, mask, redact

#: Loaded on first use: ``connect`` brings the Azure SDKs, ``inspect`` brings ipywidgets.
_LAZY = {"Lab": "lab", "connect": "lab", "inspect": "inspector.live"}

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


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)  # binds the attribute too
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
