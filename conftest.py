"""How a test session runs, for tests/ and notebooks/ alike: markers, workers, guards.

- ``cloud`` marks every item that needs the live local cloud (Azurite, the management
  plane, the token endpoint). It is added here, not by hand, to every item that uses a
  fixture in ``CLOUD_FIXTURES`` (directly or through another fixture) and to every
  notebook cell. A test that starts a cloud itself says so with ``@pytest.mark.cloud``
  (or ``pytestmark = pytest.mark.cloud`` for a whole file). ``pytest -m "not cloud"`` runs
  the rest in seconds; a test without the marker that starts a cloud fails and says so.
- Under pytest-xdist (``-n``) each worker has local clouds of its own, in sub-folders of
  LAB_STATE_DIR (or of a temporary folder): ``gw0/`` for the tests' fixtures and
  ``gw0-notebooks/`` for the kernels nbval starts, so a notebook (02 regenerates the
  account's keys, 12 deletes the lab's resource group) never changes what a test holds.
  Each worker stops its clouds when it ends. A notebook's cells stay together on one
  worker (``--dist loadscope``).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

#: Fixtures that start (or reach) the live local cloud; everything that uses them is `cloud`.
CLOUD_FIXTURES = frozenset({"cloud", "local_cloud"})
#: Folders whose items run code that connects on its own: the notebooks' nbval kernels.
CLOUD_FOLDERS = ("notebooks",)
#: The longest-running files (about 14–80 s each on 2 cores), started first under xdist
#: (``--no-loadscope-reorder``): a worker that drew one of them near the end would finish
#: alone. The rest keep their order. A file missing here only costs balance, not a result.
LONGEST_FIRST = (
    # the Azure CLI, one file per group of commands so they spread over the workers
    "tests/cli/test_message_commands.py", "tests/cli/test_queue_commands.py",
    "tests/cli/test_commands.py", "tests/cli/test_scripts.py",
    "tests/hub/test_idle_culler.py", "tests/hub/test_hub.py", "tests/hub/test_two_learners.py",
    "tests/browser/test_jupyterlab.py", "tests/test_plain_client_loops.py",
    "tests/local_cloud/test_crash_honesty.py", "tests/test_delivery_fidelity.py",
    "tests/local_cloud/test_supervisor.py", "tests/throughput/test_measure.py",
    "tests/local_cloud/test_service_contract.py", "notebooks/10_throughput_and_scale.ipynb",
)
#: Seconds for a browser test (tests/browser): JupyterLab may take 90 s to start on a
#: busy machine, and each page step waits up to 120 s.
BROWSER_TIMEOUT = 300

ROOT = Path(__file__).resolve().parent
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", … in an xdist worker
POPEN = subprocess.Popen
#: A folder to write each item's worker, start and end to (tools/suite_timeline.py reads it).
TIMELINE = os.environ.get("LAB_TEST_TIMELINE")
_owned: list[Path] = []  # state folders this process made: stopped at its end
_temporary: list[Path] = []  # and removed, if made in a temporary folder


def _worker_folders() -> tuple[Path, Path]:
    """This worker's state folders: (tests, notebooks)."""
    base = os.environ.get("LAB_STATE_DIR")
    if not base:
        base = tempfile.mkdtemp(prefix=f"queuelab-test-{WORKER}-")
        _temporary.append(Path(base))
    tests, notebooks = Path(base) / WORKER, Path(base) / f"{WORKER}-notebooks"
    _owned.extend([tests, notebooks])
    return tests, notebooks


# Stored outputs have no progress bar: a bar appears when a step takes over a second, so
# a run on a busy machine would differ. `make test` says so too; plain `pytest` needs it.
os.environ.setdefault("LAB_PROGRESS", "0")

if WORKER:
    _tests_state, _notebooks_state = _worker_folders()
    os.environ["LAB_STATE_DIR"] = str(_tests_state)
else:
    _notebooks_state = None


def pytest_unconfigure(config):
    if not _owned:
        return
    import localcloud

    for folder in _owned:
        if folder.exists():
            localcloud.stop(folder)
    for folder in _temporary:
        shutil.rmtree(folder, ignore_errors=True)


def _under(item, folder: str) -> bool:
    return Path(str(item.path)).resolve().is_relative_to(ROOT / folder)


def _start_rank(item) -> int:
    path = Path(str(item.path)).resolve().relative_to(ROOT).as_posix()
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_start_rank)  # stable: within a file, and for the rest, order is kept
    for item in items:
        uses_cloud = CLOUD_FIXTURES & set(getattr(item, "fixturenames", ()))
        if not item.get_closest_marker("cloud") and (
                uses_cloud or any(_under(item, folder) for folder in CLOUD_FOLDERS)):
            item.add_marker(pytest.mark.cloud)
        if _under(item, "tests/browser") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(BROWSER_TIMEOUT))


def _cpu_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _record_timeline(item, started: float, ended: float, cpu: float) -> None:
    line = json.dumps({"worker": WORKER or "main", "item": item.nodeid,
                       "start": started, "end": ended, "cpu": round(cpu, 3)})
    folder = Path(TIMELINE)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{WORKER or 'main'}.jsonl", "a", encoding="utf-8") as out:
        out.write(line + "\n")


def _is_notebook_cell(item) -> bool:
    return Path(str(item.path)).suffix == ".ipynb"


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
    """Notebook kernels see the worker's notebook cloud; untagged items start no cloud."""
    saved = os.environ.get("LAB_STATE_DIR")
    guarded = not item.get_closest_marker("cloud")
    if _notebooks_state is not None and _is_notebook_cell(item):
        os.environ["LAB_STATE_DIR"] = str(_notebooks_state)  # nbval starts the kernel now
    if guarded:
        subprocess.Popen = _NoCloudPopen
    started, cpu = time.time(), _cpu_seconds()
    try:
        return (yield)
    finally:
        subprocess.Popen = POPEN
        if TIMELINE:
            _record_timeline(item, started, time.time(), _cpu_seconds() - cpu)
        if saved is not None:
            os.environ["LAB_STATE_DIR"] = saved
