"""``python -m labsupport doctor``: check the machine and say how to fix what is broken.

Each check prints one line: ✔ (fine), ! (works, but worth knowing) or ✘ (broken) with
the fix. The exit code is 1 when anything is broken.
"""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata

from localcloud.azurite import azurite_patched, azurite_script, azurite_version

from . import local
from .config import LabConfig, load_config
from .errors import LabError, first_line
from .paths import project_root

OK, WARN, FAIL = "✔", "!", "✘"
MIN_NODE = 20


@dataclass(frozen=True)
class Finding:
    status: str
    name: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status} {self.name:<18} {self.detail}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


def check_python() -> Finding:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < (3, 11):  # noqa: UP036 - the doctor may run on an old Python
        return Finding(FAIL, "Python", version, "install Python 3.11 or newer (or use conda)")
    return Finding(OK, "Python", version)


def check_node() -> Finding:
    node = shutil.which("node")
    if not node:
        return Finding(FAIL, "Node.js", "not found on PATH",
                       "install Node.js 20+ (https://nodejs.org) or use conda (environment.yml)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    major = int(re.match(r"v?(\d+)", version).group(1)) if re.match(r"v?\d+", version) else 0
    if major < MIN_NODE:
        return Finding(FAIL, "Node.js", version, f"install Node.js {MIN_NODE} or newer")
    return Finding(OK, "Node.js", version)


def check_packages() -> Finding:
    """Every pinned dependency installed at its pinned version."""
    try:
        requirements = metadata.requires("queue-lab") or []
    except metadata.PackageNotFoundError:
        return Finding(FAIL, "Python packages", "the queue-lab package is not installed",
                       "run `make lab` (or `pip install -e '.[dev]'`)")
    wrong, checked = [], 0
    for requirement in requirements:
        match = re.match(r"([A-Za-z0-9_.\-]+)==([^;\s]+)", requirement)
        if not match:
            continue
        name, pinned = match.groups()
        checked += 1
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} missing")
            continue
        if installed != pinned:
            wrong.append(f"{name} {installed} (pinned {pinned})")
    if wrong:
        return Finding(FAIL, "Python packages", "; ".join(wrong),
                       "run `make lab` again, or `pip install -c constraints.txt -e '.[dev]'`")
    return Finding(OK, "Python packages", f"{checked} pinned packages at their versions")


def azurite_pin() -> str | None:
    """The Azurite version package.json pins (what `npm ci` installs), if readable."""
    try:
        package = json.loads((project_root() / "package.json").read_text())
        return package["dependencies"]["azurite"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_azurite_installed() -> Finding:
    if not azurite_script().is_file():
        return Finding(FAIL, "node_modules", f"Azurite missing in {project_root()}/node_modules",
                       f"run `npm ci` in {project_root()} (or `make lab`)")
    version, pin = azurite_version(), azurite_pin()
    if pin and version != pin:
        return Finding(WARN, "node_modules", f"Azurite {version}, the lab pins {pin}",
                       "run `npm ci` to install the pinned version")
    if not azurite_patched():
        return Finding(FAIL, "node_modules", f"Azurite {version} without the lab's patch "
                       f"(messages would never expire after a restart)",
                       f"run `npm ci` in {project_root()}: it applies patches/ (not with "
                       f"--ignore-scripts)")
    return Finding(OK, "node_modules", f"Azurite {version}")


def check_local_cloud(config: LabConfig) -> Finding:
    current = local.status(config)
    if current.state == "stopped":
        return Finding(WARN, "local cloud", "not running (connect() starts it)",
                       "or start it now: `python -m labsupport up`")
    if current.state == "stale":
        return Finding(FAIL, "local cloud", f"not working: {current.problem}",
                       f"`python -m labsupport up` replaces it; see {config.state_dir / 'logs'} "
                       f"for why")
    ports = ", ".join(f"{k} {v}" for k, v in sorted(current.record.ports.items()))
    return Finding(OK, "local cloud", f"running, Azurite {current.record.azurite_version}; "
                                      f"ports {ports}")


def check_state_privacy(config: LabConfig) -> Finding:
    """The state folder (keys, secrets, Azurite's data) is readable by its owner only."""
    folder = local.folder(config)
    if not folder.root.exists():
        return Finding(OK, "state privacy", f"{folder.root} not created yet (it will be 0700)")
    exposed = folder.exposed()
    if exposed:
        listed = ", ".join(f"{path} is {mode:04o}" for path, mode in exposed)
        commands = "; ".join(f"chmod {'700' if path == folder.root else '600'} {path}"
                             for path, _ in exposed)
        return Finding(FAIL, "state privacy", f"others may read the lab's keys: {listed}",
                       f"`python -m labsupport up` fixes it, or run: {commands}")
    return Finding(OK, "state privacy", f"{folder.root} is 0700, its key files 0600")


def check_trust(config: LabConfig) -> Finding:
    """An HTTPS call to the queue service verifies with the lab's CA bundle."""
    record = local.status(config).record
    if record is None:
        return Finding(WARN, "CA trust", "not checked (the local cloud is not running)")
    url = record.endpoints()["queue"] + "/"
    try:
        context = ssl.create_default_context(cafile=record.ca_bundle)
        urllib.request.urlopen(url, context=context, timeout=3).close()
    except urllib.error.HTTPError:
        pass  # any HTTP answer means TLS verified
    except OSError as error:  # ssl.SSLError too; a missing bundle is FileNotFoundError
        return Finding(FAIL, "CA trust", f"HTTPS to {url} failed: {error}",
                       f"`python -m labsupport down`, remove {config.state_dir / 'tls'}, "
                       f"then `python -m labsupport up`")
    return Finding(OK, "CA trust", f"queue service verifies with {record.ca_bundle}")


def check_azure(config: LabConfig) -> Iterator[Finding]:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.resource.resources import ResourceManagementClient

    credential = DefaultAzureCredential()
    try:
        credential.get_token("https://management.azure.com/.default")
    except Exception as error:  # noqa: BLE001 - any failure means "not logged in"
        yield Finding(FAIL, "Azure login", first_line(error)[:200],
                      "run `az login` (then `az account set --subscription <id>`)")
        return
    yield Finding(OK, "Azure login", "a management token was issued")
    try:
        client = ResourceManagementClient(credential, config.subscription_id)
        next(iter(client.resource_groups.list()), None)
    except Exception as error:  # noqa: BLE001 - report whatever ARM said
        yield Finding(FAIL, "subscription", first_line(error)[:200],
                      "check AZURE_SUBSCRIPTION_ID (`az account list -o table`)")
        return
    yield Finding(OK, "subscription", config.subscription_id)


def findings(config_loader: Callable[[], LabConfig] = load_config) -> Iterator[Finding]:
    yield check_python()
    yield check_packages()
    try:
        config = config_loader()
    except LabError as error:
        yield Finding(FAIL, "configuration", str(error), "edit lab.env or the environment")
        return
    yield Finding(OK, "configuration", f"backend {config.backend}"
                  + (f", from {config.env_file}" if config.env_file else ""))
    if config.is_local:
        yield check_node()
        yield check_azurite_installed()
        yield check_state_privacy(config)
        yield check_local_cloud(config)
        yield check_trust(config)
    else:
        yield from check_azure(config)


def run(as_json: bool = False) -> int:
    results = list(findings())
    if as_json:
        print(json.dumps([r.__dict__ for r in results], indent=2, ensure_ascii=False))
    else:
        for result in results:
            print(result.line())
        broken = sum(r.status == FAIL for r in results)
        noted = sum(r.status == WARN for r in results)
        verdict = f"{broken} problem(s) to fix." if broken else "Ready." + (
            f" ({noted} note(s) marked !)" if noted else "")
        print(f"\n{verdict}")
    return 1 if any(r.status == FAIL for r in results) else 0
