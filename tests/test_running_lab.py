"""A second ``make lab`` points to the JupyterLab already open on the notebooks.

A real JupyterLab serves the project's notebooks folder (nothing opens a notebook, so
nothing is saved) with a runtime folder of this test's own; ``make lab`` must print its
URL and start no second server. A runtime file left by a server that died does not stop
a start.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from labsupport.ports import free_port
from labsupport.running_lab import serving
from labsupport.waits import WaitTimeout, wait_for

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def lab_environment(home: Path) -> dict[str, str]:
    """Jupyter's folders under ``home`` (none of this machine's servers or settings), and no
    make of an outer ``make test`` (its jobserver, its directory messages)."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return {**env, "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}


def runtime_files(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "runtime").glob("jpserver-*.json"))


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab on the project's notebooks, as ``make lab`` starts it; yields its home
    (runtime folder inside), port, token and process."""
    home = tmp_path_factory.mktemp("running-lab")
    port, token = free_port(), secrets.token_hex(16)
    log = open(home / "jupyterlab.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--notebook-dir={NOTEBOOKS}",
         "--allow-root", "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"],
        stdout=log, stderr=subprocess.STDOUT, env=lab_environment(home))

    def started() -> bool:
        """Answering, with its runtime file written; raises once the process has ended."""
        if server.poll() is not None:
            raise ChildProcessError("JupyterLab exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}",
                                   timeout=2).close()
        except OSError:
            return False
        return bool(runtime_files(home))

    try:
        wait_for(started, what="JupyterLab to answer", timeout=120, interval=0.2)
    except (WaitTimeout, ChildProcessError):
        server.kill()
        log.close()
        pytest.fail("JupyterLab did not start:\n" + (home / "jupyterlab.log").read_text()[-2000:])
    yield home, port, token, server
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.mark.timeout(240)
@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_a_second_make_lab_prints_the_open_labs_url_and_starts_nothing(jupyterlab, tmp_path):
    home, port, token, server = jupyterlab
    before = runtime_files(home)
    env = lab_environment(home)
    env["LAB_STATE_DIR"] = str(tmp_path / "state")  # a cloud of its own, should it start one
    # `-o install`: the installation is this suite's own; a free port and no browser for
    # the JupyterLab a broken check would start.
    make = subprocess.Popen(
        ["make", "--no-print-directory", "-o", "install", "lab",
         f"JUPYTER_ARGS=--port={free_port({port})} --no-browser"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        out, _ = make.communicate(timeout=120)
    finally:
        if make.poll() is None:  # it started a second JupyterLab: stop it and everything
            os.killpg(make.pid, signal.SIGTERM)
            make.communicate(timeout=60)
            subprocess.run([sys.executable, "-m", "labsupport", "down"], env=env,
                           capture_output=True, timeout=120)
    assert out == (
        f"JupyterLab is already open on these notebooks (pid {server.pid}), so no second one "
        f"was started: open http://127.0.0.1:{port}/lab?token={token} (to start afresh, "
        f"stop it first with Ctrl+C in its terminal or `jupyter server stop {port}`).\n"), out
    assert make.returncode == 0
    assert runtime_files(home) == before == [f"jpserver-{server.pid}.json"], \
        "no second server wrote a runtime file"


def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def write_runtime_file(runtime: Path, pid: int, port: int, root: Path) -> Path:
    """A runtime file as jupyter_server writes it (ServerApp.server_info)."""
    runtime.mkdir(parents=True, exist_ok=True)
    path = runtime / f"jpserver-{pid}.json"
    path.write_text(json.dumps({
        "base_url": "/", "hostname": "127.0.0.1", "password": False, "pid": pid,
        "port": port, "root_dir": str(root), "secure": False, "sock": "",
        "token": "abc123", "url": f"http://127.0.0.1:{port}/", "version": "2.21.1"}))
    return path


def test_a_runtime_file_of_a_dead_server_does_not_stop_a_start(tmp_path):
    home = tmp_path
    stale = write_runtime_file(home / "runtime", dead_pid(), free_port(), NOTEBOOKS)
    done = subprocess.run([sys.executable, "-m", "labsupport", "running-lab"],
                          env=lab_environment(home), capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", ""), \
        "exit 1 and say nothing: make lab starts JupyterLab"
    assert not stale.exists(), "Jupyter's own clean-up removed the dead server's file"


def test_a_live_pid_with_nothing_listening_is_no_running_lab(tmp_path):
    """After a crash the pid may belong to another process: the port must answer too."""
    write_runtime_file(tmp_path, os.getpid(), free_port(), NOTEBOOKS)
    assert serving(NOTEBOOKS, runtime_dir=str(tmp_path)) is None


def test_a_server_on_a_folder_above_the_notebooks_counts_and_opens_them(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        write_runtime_file(tmp_path, os.getpid(), port, ROOT)
        server = serving(NOTEBOOKS, runtime_dir=str(tmp_path))
        assert server is not None
        assert server.open_url() == f"http://127.0.0.1:{port}/lab/tree/notebooks?token=abc123"
        elsewhere = tmp_path / "other-notebooks"
        elsewhere.mkdir()
        assert serving(elsewhere, runtime_dir=str(tmp_path)) is None, "not a folder it serves"
