"""The local backend: the lab's settings mapped onto the local cloud service.

:mod:`localcloud` is a service with a contract of its own (a state folder and ports in,
a record out; its own errors and constants) and knows nothing of the lab. This module is
where the lab meets it: it picks the ports (``LAB_*_PORT`` settings, else last run's,
else free ones), names the lab's subscription, turns the service's errors into lab errors
and its notice of a restart into a :class:`~labsupport.errors.LocalCloudRestarted`
warning in the learner's own code.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import localcloud
from localcloud import Record, StateFolder, Status

from .config import PORT_SETTINGS, LabConfig
from .errors import LocalCloudError, LocalCloudRestarted, NotInstalledError, PortInUseError
from .ports import free_port, port_is_free

__all__ = ["Record", "StateFolder", "Status", "choose_ports", "client_environment", "down",
           "folder", "round_trip_proxy", "status", "up"]


def folder(config: LabConfig) -> StateFolder:
    """The local cloud's state folder for this configuration."""
    return StateFolder(config.state_dir)


def choose_ports(config: LabConfig, previous: dict[str, int]) -> dict[str, int]:
    """Configured ports (which must be free), else ``previous`` ones if free, else new ones."""
    chosen: dict[str, int] = {}
    for service in localcloud.ALL_SERVICES:
        port = config.ports.get(service)
        if port is not None:
            if not port_is_free(port):
                raise PortInUseError(
                    f"Port {port} ({PORT_SETTINGS[service]}) is already in use by another "
                    f"program. Stop that program, choose another port in lab.env, or unset "
                    f"{PORT_SETTINGS[service]} to let the lab pick a free one."
                )
        else:
            port = previous.get(service)
            if not (isinstance(port, int) and port not in chosen.values() and port_is_free(port)):
                port = free_port(set(chosen.values()))
        chosen[service] = port
    return chosen


def up(config: LabConfig, timeout: float | None = None) -> Record:
    """Ensure the local cloud for ``config.state_dir`` runs; return its record."""
    limit = {} if timeout is None else {"timeout": timeout}
    with _lab_errors():
        return localcloud.start(config.state_dir, lambda last: choose_ports(config, last),
                                on_restart=_say_restarted, **limit)


def down(config: LabConfig) -> bool:
    """Stop the local cloud if it runs; True if something was stopped."""
    with _lab_errors():
        return localcloud.stop(config.state_dir)


def status(config: LabConfig) -> Status:
    """Whether the local cloud runs, is stopped, or is stale (and why)."""
    return localcloud.status(config.state_dir)


def client_environment(config: LabConfig, record: Record) -> dict[str, str]:
    """Variables that point unchanged SDK code at the local cloud, for the lab's subscription."""
    return localcloud.client_environment(config.state_dir, record, config.subscription_id)


def round_trip_proxy(port: int, round_trip_ms: int) -> localcloud.RoundTripProxy:
    """A started relay to the local ``port`` that adds ``round_trip_ms`` (close it when
    done): the simulated network of :meth:`labsupport.lab.Lab.azure_like_network`."""
    with _lab_errors():
        proxy = localcloud.RoundTripProxy(port, round_trip_ms)
        proxy.start()
    return proxy


@contextlib.contextmanager
def _lab_errors() -> Iterator[None]:
    """The service's errors as the lab's, with the same sentence (a lab error shows in a
    notebook as that sentence, not as a traceback)."""
    try:
        yield
    except localcloud.NotInstalledError as error:
        raise NotInstalledError(str(error)) from None
    except localcloud.LocalCloudError as error:
        raise LocalCloudError(str(error)) from None


_INSIDE = tuple(str(Path(package.__file__).resolve().parent) + os.sep
                for package in (sys.modules[__package__], localcloud))


def _say_restarted(message: str) -> None:
    """Warn (LocalCloudRestarted) in the first caller outside the lab and the local cloud,
    e.g. the notebook cell that called ``connect()``: a crash is never recovered silently."""
    frame, level = sys._getframe(1), 2  # level 1 is this function, 2 its caller
    while frame is not None and frame.f_code.co_filename.startswith(_INSIDE):
        frame, level = frame.f_back, level + 1
    warnings.warn(LocalCloudRestarted(message), stacklevel=level)
