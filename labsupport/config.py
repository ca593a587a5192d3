"""The lab's configuration: environment variables, optionally from a ``lab.env`` file.

Every setting has a default that works offline; ``LAB_BACKEND=azure`` switches the same
notebooks to a real subscription. Invalid values raise :class:`ConfigError` with a fix.

Why our own ``lab.env`` reader and not pydantic-settings: ``import labsupport`` loads this
module and only the standard library (tests/test_lazy_imports.py), and its errors name the
line, never its content, which may hold a key (pydantic's errors quote the input by default).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .paths import project_root, state_dir

BACKENDS = ("local", "azure")
# The subscription of the local backend: the local cloud's default one (it serves any).
# The lab's copy of localcloud.SUBSCRIPTION_ID: this module is read by code that must not
# import the local cloud (the API, contract 4 of tests/test_import_contracts.py), so the
# two sides keep one copy each and tests/local_cloud/test_service_contract.py holds them equal.
LOCAL_SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
AZURE_MANAGEMENT_URL = "https://management.azure.com"
PORT_SETTINGS = {
    "queue": "LAB_QUEUE_PORT",
    "blob": "LAB_BLOB_PORT",
    "table": "LAB_TABLE_PORT",
    "management": "LAB_MANAGEMENT_PORT",
}
#: The round trip (ms) a lesson simulates when it asks for an Azure-like network on the
#: local backend (LAB_NETWORK_RTT_MS). Microsoft publishes 3-28 ms between its regions in
#: Europe and 5-72 ms in North America (learn.microsoft.com/azure/networking/azure-network-latency).
DEFAULT_NETWORK_RTT_MS = 30
MAX_NETWORK_RTT_MS = 1000

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_PREFIX = re.compile(r"^[a-z][a-z0-9]{1,9}$")
_LOCATION = re.compile(r"^[a-z][a-z0-9]{2,30}$")
#: Azure's storage account name rule, the lessons' side's one home (the local cloud keeps
#: its own in localcloud/management/naming.py; docs/ARCHITECTURE.md says why).
ACCOUNT_NAME_PATTERN = "[a-z0-9]{3,24}"
_ACCOUNT = re.compile(f"^{ACCOUNT_NAME_PATTERN}$")
_RESOURCE_GROUP = re.compile(r"^[-\w._()]{1,90}$")
_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


@dataclass(frozen=True)
class LabConfig:
    """Validated settings; build one with :func:`load_config`."""

    backend: str
    prefix: str
    location: str
    subscription_id: str
    resource_group: str
    account_name: str
    state_dir: Path
    ports: dict[str, int | None] = field(default_factory=dict)
    env_file: Path | None = None
    network_rtt_ms: int = DEFAULT_NETWORK_RTT_MS

    @property
    def is_local(self) -> bool:
        return self.backend == "local"


def read_env_text(path: Path) -> str:
    """The text of an env file: UTF-8, with or without a byte order mark (BOM)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"{path} cannot be read ({error.strerror or error}): check that it is a file you "
            f"may read, or unset LAB_ENV_FILE."
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"{path.name} line {line} is not UTF-8 text (byte 0x{data[error.start]:02X}): "
            f"save it as UTF-8 in your editor, or retype that line; its content is not shown "
            f"as it may be secret."
        ) from None


def parse_env_file(path: Path) -> dict[str, str]:
    """Read ``NAME=value`` lines (``#`` comments, optional ``export`` and quotes)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(read_env_text(path).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            # Name the line, never quote it: a malformed line may hold a key.
            start = re.match(r"[A-Z][A-Z0-9_]{2,39}(?=\s|$)", line)
            hint = f" (it starts with {start.group(0)!r})" if start else ""
            raise ConfigError(
                f"{path.name} line {number}: expected NAME=value{hint}. Fix or delete that "
                f"line (comments start with #); its content is not shown as it may be secret."
            )
        name, value = match.group(1), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def default_env_file(environ: dict[str, str]) -> Path | None:
    """``LAB_ENV_FILE`` if set, else ``lab.env`` in the project root when it exists."""
    if environ.get("LAB_ENV_FILE"):
        path = Path(environ["LAB_ENV_FILE"]).expanduser()
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise ConfigError(f"LAB_ENV_FILE points at {path}, which {what}.")
        return path
    path = project_root() / "lab.env"
    return path if path.is_file() else None


def derived_account_name(prefix: str, subscription_id: str) -> str:
    """A stable, globally unlikely storage account name: prefix + 8 hex digits."""
    digest = hashlib.sha256(f"{prefix}:{subscription_id.lower()}".encode()).hexdigest()
    return f"{prefix}{digest[:8]}"


def parse_port(name: str, value: str, lowest: int = 1024) -> int | None:
    """The port in setting ``name`` (None when empty), or a ConfigError naming the range."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not lowest <= int(value) <= 65535:
        raise ConfigError(
            f"{name}={value!r} is not a port: use a number from {lowest} to 65535."
        )
    return int(value)


def usable_state_dir(path: Path, configured: bool) -> Path:
    """``path``, created if missing, once it is known to be a folder the lab can write."""
    setting = f"LAB_STATE_DIR points at {path}" if configured else (
        f"The lab's state folder {path} (the default, as LAB_STATE_DIR is not set)")
    fix = ("point LAB_STATE_DIR at a folder you can write (it is created if missing), or "
           "unset LAB_STATE_DIR to use the project's .lab folder") if configured else (
           "set LAB_STATE_DIR to a folder you can write (it is created if missing)")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{setting}, which is a file, not a folder: {fix}.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"{setting}, which cannot be created ({error.strerror or error}): {fix}."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{setting}, which cannot be written: {fix}.")
    return path


def load_config(
    environ: dict[str, str] | None = None, env_file: Path | None | bool = True
) -> LabConfig:
    """Read and validate the configuration; the environment overrides ``lab.env``.

    ``env_file=True`` looks for the default file, ``False``/``None`` reads none.
    """
    env = dict(os.environ if environ is None else environ)
    path = default_env_file(env) if env_file is True else (env_file or None)
    settings = {**(parse_env_file(path) if path else {}), **env}

    backend = settings.get("LAB_BACKEND", "local").strip().lower() or "local"
    if backend not in BACKENDS:
        raise ConfigError(
            f"LAB_BACKEND={settings.get('LAB_BACKEND')!r} is not a backend: use 'local' "
            f"(the offline local cloud, the default) or 'azure' (a real subscription)."
        )
    prefix = settings.get("LAB_PREFIX", "qlab").strip() or "qlab"
    if not _PREFIX.match(prefix):
        raise ConfigError(
            f"LAB_PREFIX={prefix!r} is invalid: 2-10 lowercase letters and digits, starting "
            f"with a letter (it becomes part of storage account names), e.g. 'qlab' or 'ana1'."
        )
    location = settings.get("LAB_LOCATION", "eastus").strip() or "eastus"
    if not _LOCATION.match(location):
        raise ConfigError(
            f"LAB_LOCATION={location!r} is not an Azure region name: use the short form "
            f"such as 'eastus' or 'westeurope' (see `az account list-locations -o table`)."
        )
    if backend == "azure":
        subscription = settings.get("AZURE_SUBSCRIPTION_ID", "").strip()
        if not subscription:
            raise ConfigError(
                "LAB_BACKEND=azure needs AZURE_SUBSCRIPTION_ID: run `az account show --query id "
                "-o tsv` and put the result in lab.env as AZURE_SUBSCRIPTION_ID=<id>."
            )
        if not _GUID.match(subscription):
            raise ConfigError(
                f"AZURE_SUBSCRIPTION_ID={subscription!r} is not a subscription id (a GUID "
                f"like 12345678-1234-1234-1234-123456789abc)."
            )
    else:
        subscription = LOCAL_SUBSCRIPTION_ID

    resource_group = settings.get("LAB_RESOURCE_GROUP", "").strip() or f"rg-{prefix}"
    if not _RESOURCE_GROUP.match(resource_group) or resource_group.endswith("."):
        raise ConfigError(
            f"LAB_RESOURCE_GROUP={resource_group!r} is invalid: 1-90 letters, digits, '-', "
            f"'_', '.', '(' or ')', not ending in '.'."
        )
    account = settings.get("LAB_ACCOUNT_NAME", "").strip() or derived_account_name(
        prefix, subscription
    )
    if not _ACCOUNT.match(account):
        raise ConfigError(
            f"LAB_ACCOUNT_NAME={account!r} is invalid: storage account names are 3-24 "
            f"lowercase letters and digits only."
        )
    ports = {
        service: parse_port(name, settings.get(name, ""))
        for service, name in PORT_SETTINGS.items()
    }
    taken = [p for p in ports.values() if p is not None]
    if len(taken) != len(set(taken)):
        raise ConfigError(
            f"The LAB_*_PORT settings repeat a port ({ports}); give each service its own."
        )
    rtt = settings.get("LAB_NETWORK_RTT_MS", "").strip() or str(DEFAULT_NETWORK_RTT_MS)
    if not rtt.isdigit() or int(rtt) > MAX_NETWORK_RTT_MS:
        raise ConfigError(
            f"LAB_NETWORK_RTT_MS={rtt!r} is not a round trip: use whole milliseconds from 0 "
            f"to {MAX_NETWORK_RTT_MS} (0 adds none; the default is {DEFAULT_NETWORK_RTT_MS})."
        )
    return LabConfig(
        backend=backend,
        prefix=prefix,
        location=location,
        subscription_id=subscription,
        resource_group=resource_group,
        account_name=account,
        state_dir=usable_state_dir(
            state_dir({"LAB_STATE_DIR": settings.get("LAB_STATE_DIR", "")}),
            configured=bool(settings.get("LAB_STATE_DIR")),
        ),
        ports=ports,
        env_file=path,
        network_rtt_ms=int(rtt),
    )
