"""The lessons' "Exam view" cells: the az CLI command for the step just done, run for real.

``ready()`` prepares the notebook's ``!az`` for the local cloud with
:func:`labsupport.azcli.prepare` (once per kernel and local cloud) and returns True; when
the CLI is not installed it prints one sentence — run ``make cli`` — and returns False,
so a cell written as::

    if labsupport.exam_cli.ready():
        !az storage message peek --queue-name {lab.queue_name} ...

runs for a learner who has the CLI and says what to do for one who has not. ``make test``
installs the CLI, so the stored outputs are the real CLI's.

The preparation costs four ``az`` calls (a second or more each). When the lab's CLI folder
already has this local cloud registered, active and signed in with the managed identity
(an earlier lesson prepared it), ``ready()`` only sets the shell's variables.
"""

from __future__ import annotations

import configparser
import json
import os

from . import azcli, local
from .config import LabConfig, load_config

HOW = "The Azure CLI is not installed here: run `make cli` to try the az commands."

_prepared: set[tuple[str, str]] = set()


def ready() -> bool:
    """True once ``!az`` talks to the local cloud (or to Azure: nothing to prepare)."""
    config = load_config()
    if not config.is_local:
        return True
    try:
        azcli.executable()
    except azcli.AzureCliError:
        print(HOW)
        return False
    record = local.up(config)
    key = (str(config.state_dir), record.endpoints()["management"])
    if key not in _prepared:
        if signed_in(config, record):
            os.environ.update(azcli.environment(config, record))
        else:
            azcli.prepare(config, record)
        _prepared.add(key)
    return True


def signed_in(config: LabConfig, record: local.Record) -> bool:
    """Whether the lab's CLI folder has this local cloud registered (same management
    endpoint), active, and signed in with the managed identity — what ``prepare`` leaves."""
    folder = azcli.config_dir(config)
    clouds, settings = configparser.ConfigParser(), configparser.ConfigParser()
    try:
        clouds.read(folder / "clouds.config", encoding="utf-8")
        settings.read(folder / "config", encoding="utf-8")
        profile = json.loads((folder / "azureProfile.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, configparser.Error):
        return False
    endpoint = clouds.get(azcli.CLOUD, "endpoint_resource_manager", fallback=None)
    return (endpoint == f"{record.endpoints()['management']}/"
            and settings.get("cloud", "name", fallback=None) == azcli.CLOUD
            and any(s.get("isDefault") and s.get("environmentName") == azcli.CLOUD
                    and s.get("user", {}).get("assignedIdentityInfo") == "MSI"
                    for s in profile.get("subscriptions", [])))
