"""The lessons' "Exam view" cells: the az CLI command for the step just done, run for real.

``ready()`` prepares the notebook's ``!az`` for the local cloud with
:func:`labsupport.azcli.prepare` (once per kernel and local cloud) and returns True; when
the CLI is not installed it prints one sentence — run ``make cli`` — and returns False,
so a cell written as::

    if labsupport.exam_cli.ready():
        !az storage message peek --queue-name {lab.queue_name} ...

runs for a learner who has the CLI and says what to do for one who has not. ``make test``
installs the CLI, so the stored outputs are the real CLI's.
"""

from __future__ import annotations

from . import azcli, local
from .config import load_config

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
        azcli.prepare(config, record)
        _prepared.add(key)
    return True
