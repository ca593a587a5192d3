"""How a test session runs, for tests/ and notebooks/ alike: markers and a guard.

- ``cloud`` marks every item that needs the live local cloud (Azurite, the management
  plane, the token endpoint). It is added here, not by hand, to every item that uses a
  fixture in ``CLOUD_FIXTURES`` (directly or through another fixture), to every notebook
  cell and to the browser tests (their kernels connect). A test that starts a cloud
  itself says so with ``pytestmark = pytest.mark.cloud``. ``pytest -m "not cloud"`` runs
  the rest in seconds; a test without the marker that starts a cloud fails and says so.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

#: Fixtures that start (or reach) the live local cloud; everything that uses them is `cloud`.
CLOUD_FIXTURES = frozenset({"cloud", "local_cloud"})
#: Folders whose items run code that connects on its own: nbval kernels, JupyterLab.
CLOUD_FOLDERS = ("notebooks", "tests/browser")
#: Seconds for the browser test: JupyterLab may take 90 s to start on a busy machine,
#: and each of its page steps waits up to 120 s.
BROWSER_TIMEOUT = 300

ROOT = Path(__file__).resolve().parent
POPEN = subprocess.Popen


def _under(item, folder: str) -> bool:
    return Path(str(item.path)).resolve().is_relative_to(ROOT / folder)


def pytest_collection_modifyitems(config, items):
    for item in items:
        uses_cloud = CLOUD_FIXTURES & set(getattr(item, "fixturenames", ()))
        if not item.get_closest_marker("cloud") and (
                uses_cloud or any(_under(item, folder) for folder in CLOUD_FOLDERS)):
            item.add_marker(pytest.mark.cloud)
        if _under(item, "tests/browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TIMEOUT))


class _NoCloudPopen(POPEN):
    """Popen for items without the ``cloud`` marker: refuses to start a local cloud."""

    def __init__(self, args, *rest, **options):
        words = [args] if isinstance(args, str | bytes | os.PathLike) else list(args)
        line = " ".join(map(str, words))
        if "azurite" in line or "localcloud.daemon" in line or "labsupport up" in line:
            raise RuntimeError(
                "This test starts a local cloud but is not marked `cloud`: give it a cloud "
                "fixture (cloud, lab, local_cloud, …) or `pytestmark = pytest.mark.cloud`, so "
                "that `pytest -m \"not cloud\"` leaves it out.")
        super().__init__(args, *rest, **options)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Items without the ``cloud`` marker start no local cloud (setup, call, teardown)."""
    if item.get_closest_marker("cloud"):
        return (yield)
    subprocess.Popen = _NoCloudPopen
    try:
        return (yield)
    finally:
        subprocess.Popen = POPEN
