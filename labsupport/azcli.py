"""The Azure CLI (``az``) against the local cloud, from a shell or a notebook's ``!az``.

``make cli`` installs a pinned ``azure-cli`` into ``.venv-az/`` (its own virtual
environment: it pins management SDKs of its own). :func:`prepare` then makes ``az``
talk to the local cloud as it would to Azure, without touching the learner's
``~/.azure``:

- ``AZURE_CONFIG_DIR`` is a private folder in the lab's state folder (``azure-cli/``);
- the local cloud is registered there (``az cloud register``: its management endpoint,
  Entra ID's audience, the storage suffix, and its Microsoft Graph stand-in) and made the
  active cloud;
- ``az login --identity`` signs in with the local managed-identity endpoint: the CLI's
  MSAL managed identity reads App Service's ``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER``;
- ``az`` on PATH is a small wrapper around ``.venv-az/bin/az`` that hands the CLI the CA
  bundle *file* (``SSL_CERT_FILE``) as ``REQUESTS_CA_BUNDLE`` when that names the lab's
  hashed directory of the same certificates: the CLI refuses a directory, and the SDK code
  of the same shell or notebook keeps the directory (faster, see :mod:`labsupport.trust`).

A shell gets the same with ``eval "$(python -m labsupport env --az)"``.

One thing differs from Azure: Azurite serves path-style URLs
(``https://127.0.0.1:PORT/<account>/``), while the CLI builds
``https://<account>.queue.<suffix>`` from ``--account-name``. Data-plane commands
(``az storage queue …``, ``az storage message …``) are told the endpoint with the CLI's
documented ``--queue-endpoint`` (or ``--connection-string``); the endpoint is the
account's ``primaryEndpoints.queue``, which ``az storage account show`` prints on both.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from . import local
from .config import LabConfig, load_config
from .errors import LabError
from .paths import project_root

VENV = project_root() / ".venv-az"
CLOUD = "LocalCloud"
#: The local cloud's Entra ID: never contacted (managed identity asks IDENTITY_ENDPOINT),
#: but the CLI needs one to register a cloud.
LOGIN_ENDPOINT = "https://login.microsoftonline.com"
#: The audience of ARM tokens, as on Azure (the local management plane accepts it).
ARM_AUDIENCE = "https://management.core.windows.net/"
#: The storage suffix Azure's public cloud uses; the CLI builds host-style URLs from it,
#: which the local cloud does not serve (see the module's docstring).
STORAGE_SUFFIX = "core.windows.net"
#: Seconds one ``az`` call of the preparation may take on a slow, busy machine.
CALL_TIMEOUT = 120


class AzureCliError(LabError):
    """The Azure CLI is missing, or one of the preparation's ``az`` calls failed."""


def executable() -> Path:
    """The pinned ``az`` of ``.venv-az``, or AzureCliError saying how to install it."""
    az = VENV / "bin" / "az"
    if not az.is_file():
        raise AzureCliError(f"The Azure CLI is not installed in {VENV}: run `make cli` (it "
                            f"installs the pinned azure-cli there, in its own environment).")
    python = (VENV / "bin" / "python").resolve()
    if not os.access(python, os.X_OK):  # e.g. a learner on a hub, the CLI's Python in /root
        raise AzureCliError(f"The Azure CLI in {VENV} cannot be run by this user ({python} "
                            f"is not reachable): install the lab where every user can run it "
                            f"(docs/CLASSROOM.md, 'A class on one hub').")
    return az


def config_dir(config: LabConfig) -> Path:
    """The CLI's private configuration folder (``AZURE_CONFIG_DIR``) for this lab."""
    return config.state_dir / "azure-cli"


WRAPPER = """#!/bin/sh
# The Azure CLI of .venv-az (make cli), for the local cloud (labsupport.azcli). The CLI
# wants a CA bundle file; the lab's REQUESTS_CA_BUNDLE names a directory of the same
# certificates, SSL_CERT_FILE the file.
if [ -d "${{REQUESTS_CA_BUNDLE:-}}" ] && [ -f "${{SSL_CERT_FILE:-}}" ]; then
  REQUESTS_CA_BUNDLE=$SSL_CERT_FILE
  export REQUESTS_CA_BUNDLE
fi
exec "{az}" "$@"
"""


def _bin_dir(config: LabConfig) -> Path:
    """A folder holding only ``az`` (the wrapper above), put first on PATH: .venv-az/bin
    itself also holds a ``python`` that must not shadow the lab's."""
    folder = config_dir(config) / "bin"
    wrapper = folder / "az"
    text = WRAPPER.format(az=executable())
    if not wrapper.is_file() or wrapper.read_text() != text:
        folder.mkdir(parents=True, exist_ok=True)
        wrapper.write_text(text)
        wrapper.chmod(0o755)
    return folder


def environment(config: LabConfig, record: local.Record) -> dict[str, str]:
    """The variables of a shell whose ``az`` uses the local cloud: the SDK ones of
    ``python -m labsupport env`` (trust included), the CLI's config folder, no telemetry,
    and ``az`` (the wrapper) first on PATH."""
    values = local.client_environment(config, record)
    path = os.environ.get("PATH", "")
    bin_dir = str(_bin_dir(config))
    return {
        **values,
        "AZURE_CONFIG_DIR": str(config_dir(config)),
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "PATH": path if path.split(os.pathsep)[0] == bin_dir
        else os.pathsep.join([bin_dir, *filter(None, [path])]),
    }


def cloud_arguments(record: local.Record) -> list[str]:
    """``az cloud register/update`` arguments for this local cloud."""
    management = record.endpoints()["management"]
    return ["--skip-endpoint-discovery",
            "--endpoint-resource-manager", f"{management}/",
            "--endpoint-active-directory", LOGIN_ENDPOINT,
            "--endpoint-active-directory-resource-id", ARM_AUDIENCE,
            "--endpoint-microsoft-graph-resource-id", f"{management}/graph/",
            "--suffix-storage-endpoint", STORAGE_SUFFIX]


def run(arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``az`` with ``arguments`` in ``env``; AzureCliError with its message if it fails.
    Output is captured, never printed (``az login`` names the identity, nothing secret)."""
    az = Path(env["AZURE_CONFIG_DIR"]) / "bin" / "az"
    done = subprocess.run([str(az), *arguments, "--only-show-errors"],
                          env=env, capture_output=True, text=True, timeout=CALL_TIMEOUT)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()
        raise AzureCliError(f"`az {' '.join(arguments[:3])}` failed: "
                            f"{message[-1] if message else f'exit code {done.returncode}'}")
    return done


def _registered(env: dict[str, str]) -> bool:
    listed = run(["cloud", "list", "--query", "[].name", "-o", "tsv"], env)
    return CLOUD in listed.stdout.split()


def prepare(config: LabConfig | None = None, record: local.Record | None = None, *,
            update_process: bool = True) -> dict[str, str]:
    """Start the local cloud if needed (or use its ``record``), register it with the CLI,
    sign in with its managed identity; return the shell's variables (and, with
    ``update_process``, set them in this process, so a notebook's ``!az …`` uses them)."""
    config = config or load_config()
    if not config.is_local:
        raise AzureCliError("The Azure CLI preparation is for the local cloud, but "
                            "LAB_BACKEND=azure: on Azure, use `az login` as usual.")
    executable()
    record = record or local.up(config)
    values = environment(config, record)
    env = {**os.environ, **values}
    verb = "update" if _registered(env) else "register"
    run(["cloud", verb, "--name", CLOUD, *cloud_arguments(record)], env)
    run(["cloud", "set", "--name", CLOUD], env)
    run(["login", "--identity", "--output", "none"], env)
    if update_process:
        os.environ.update(values)
    return values
