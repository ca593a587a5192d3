"""The local cloud: Azure on this machine, for code that must not know it is not Azure.

Azurite serves the data plane (queues, blobs, tables); our management plane serves the
Azure Resource Manager REST contract (resource groups, storage accounts, queues, role
assignments) and a managed-identity token endpoint, all over HTTPS with a local CA.

It is a service with a contract, its own package: it imports nothing of ``labsupport``
(the lessons' side), which starts it with a state folder and ports::

    record = localcloud.start(state_dir, {"queue": 10001, "blob": 10000, "table": 10002,
                                          "management": 10003})
    os.environ.update(localcloud.client_environment(state_dir, record))
    localcloud.stop(state_dir)

Its own constants (:mod:`.constants`: tenant, subscription, principal) and errors
(:mod:`.errors`) are public. :class:`RoundTripProxy` (:mod:`.latency`) adds a simulated
network round trip in front of a port, for code that asks for one. For the lab's doctor
and benchmarks: where Azurite is installed, its version and whether it is patched
(:mod:`.azurite`), one :class:`Azurite` on its own and the certificates it needs. These
names (``__all__``) are the whole contract: nothing outside the package imports its
modules (tests/test_import_contracts.py). Names load on first use, so ``import
localcloud`` is cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "start": "supervisor", "stop": "supervisor", "status": "supervisor",
    "last_ports": "supervisor", "client_environment": "supervisor", "Status": "supervisor",
    "ALL_SERVICES": "supervisor", "Record": "state", "StateFolder": "state",
    "LocalCloudError": "errors", "NotInstalledError": "errors",
    "LocalCloudRestarted": "errors", "SUBSCRIPTION_ID": "constants",
    "TENANT_ID": "constants", "PRINCIPAL_ID": "constants", "CLIENT_ID": "constants",
    "RoundTripProxy": "latency", "Azurite": "azurite", "azurite_script": "azurite",
    "azurite_version": "azurite", "azurite_patched": "azurite",
    "ensure_certificates": "certs",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
