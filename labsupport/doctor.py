"""``python -m labsupport doctor``: check the machine and say how to fix what is broken.

Each check prints one line: ✔ (fine), ! (works, but worth knowing) or ✘ (broken), and
under it what to do: the command to run or the file to change. A setting's value says where
it came from (the environment, lab.env, or the default). The exit code is 1 when anything
is broken.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata

from localcloud import azurite_patched, azurite_script, azurite_version

from . import local
from .config import PORT_SETTINGS, LabConfig, default_env_file, load_config, parse_env_file
from .errors import LabError, first_line
from .paths import project_root

OK, WARN, FAIL = "✔", "!", "✘"
MIN_NODE = 20
#: The settings load_config reads, in the order the configuration line lists them.
SETTINGS = ("LAB_BACKEND", "AZURE_SUBSCRIPTION_ID", "LAB_PREFIX", "LAB_LOCATION",
            "LAB_RESOURCE_GROUP", "LAB_ACCOUNT_NAME", "LAB_STATE_DIR",
            *PORT_SETTINGS.values(), "LAB_ENV_FILE")
AGAIN = "run `python -m labsupport doctor` again"


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
        return Finding(WARN, "local cloud", "not running; a notebook's labsupport.connect() "
                       "starts it", "to start it now: `python -m labsupport up`")
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
    if not folder.root.exists() or not any(folder.root.iterdir()):
        # load_config creates the folder (umask mode); the first start makes it 0700
        return Finding(OK, "state privacy", f"{folder.root} holds nothing yet (the local "
                                            f"cloud's first start makes it 0700)")
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


def check_azure(config: LabConfig, source: str = "environment") -> Iterator[Finding]:
    """Azure login and subscription; ``source`` says where AZURE_SUBSCRIPTION_ID was set."""
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
                      f"compare AZURE_SUBSCRIPTION_ID (set in {source}) with the ids that "
                      f"`az account list -o table` lists, then {AGAIN}")
        return
    yield Finding(OK, "subscription", f"{config.subscription_id} (AZURE_SUBSCRIPTION_ID, "
                                      f"{source})")


@dataclass(frozen=True)
class Setting:
    """A setting that is set: its value and where it came from (``environment``, which
    wins as in :func:`load_config`, ``lab.env``, or the file LAB_ENV_FILE names)."""

    value: str
    source: str


def settings_in_use(environ: Mapping[str, str] | None = None) -> dict[str, Setting]:
    """The lab's settings that are set, by name, in the order of :data:`SETTINGS`."""
    env = dict(os.environ if environ is None else environ)
    try:
        path = default_env_file(env)
        from_file = parse_env_file(path) if path else {}
    except LabError:  # the configuration finding reports it
        path, from_file = None, {}
    found = {}
    for name in SETTINGS:
        if env.get(name, "").strip():
            found[name] = Setting(env[name].strip(), "environment")
        elif path and from_file.get(name, "").strip():
            label = "lab.env" if path == project_root() / "lab.env" else str(path)
            found[name] = Setting(from_file[name].strip(), label)
    return found


def configuration_summary(config: LabConfig, settings: Mapping[str, Setting]) -> str:
    """The backend, the state folder and every other setting that is set, each with where
    its value came from: ``backend local (default), state folder /x/.lab (default)``."""
    def source(name: str) -> str:
        return settings[name].source if name in settings else "default"

    shown = [f"backend {config.backend} ({source('LAB_BACKEND')})",
             f"state folder {config.state_dir} ({source('LAB_STATE_DIR')})"]
    shown += [f"{name}={setting.value} ({setting.source})" for name, setting in settings.items()
              if name not in ("LAB_BACKEND", "LAB_STATE_DIR")]
    return ", ".join(shown)


def configuration_fix(message: str, settings: Mapping[str, Setting]) -> str:
    """Where the settings a configuration error names were set, and the command to check
    again: the error itself already says what a right value looks like."""
    where = []
    for name in dict.fromkeys(re.findall(r"\b(?:LAB|AZURE)_[A-Z_]+\b", message)):
        if name not in settings:
            continue
        if settings[name].source == "environment":
            where.append(f"{name} is set in your environment (change it, or `unset {name}` "
                         f"for the default)")
        else:
            where.append(f"{name} is set in {settings[name].source} (edit that line)")
    return f"{'; '.join(where)}; then {AGAIN}" if where else f"once it is fixed, {AGAIN}"


def findings(config_loader: Callable[[], LabConfig] = load_config) -> Iterator[Finding]:
    yield check_python()
    yield check_packages()
    settings = settings_in_use()
    try:
        config = config_loader()
    except LabError as error:
        yield Finding(FAIL, "configuration", str(error), configuration_fix(str(error), settings))
        return
    yield Finding(OK, "configuration", configuration_summary(config, settings))
    if config.is_local:
        yield check_node()
        yield check_azurite_installed()
        yield check_state_privacy(config)
        yield check_local_cloud(config)
        yield check_trust(config)
    else:
        subscription = settings.get("AZURE_SUBSCRIPTION_ID")
        yield from check_azure(config, subscription.source if subscription else "default")


def counted(number: int, noun: str) -> str:
    """``1 problem``, ``2 problems``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def verdict(results: list[Finding]) -> str:
    """The last line: how many problems to fix, or ready (and how many notes)."""
    broken = sum(r.status == FAIL for r in results)
    noted = sum(r.status == WARN for r in results)
    if broken:
        return f"{counted(broken, 'problem')} to fix (marked {FAIL})."
    return f"Ready ({counted(noted, 'note')} marked {WARN})." if noted else "Ready."


def run(as_json: bool = False) -> int:
    results = list(findings())
    if as_json:
        print(json.dumps([r.__dict__ for r in results], indent=2, ensure_ascii=False))
    else:
        for result in results:
            print(result.line())
        print(f"\n{verdict(results)}")
    return 1 if any(r.status == FAIL for r in results) else 0
