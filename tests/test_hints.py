"""A NameError in a cell run before the Setup cells says to run them; after, it is untouched.

A real kernel of a venv of the test's own: the Makefile's rule copies the kernel
configuration into that venv's ``etc/ipython`` (as ``make install`` does into .venv), and
IPython finds it there by itself, before any cell runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from labsupport.hints import HINT

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")

jupyter_client = pytest.importorskip("jupyter_client")


@pytest.fixture(scope="module")
def hinted_venv(tmp_path_factory) -> Path:
    """A venv whose packages are the suite's own (a .pth line adds them) and whose
    etc/ipython holds what the Makefile installs there."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    venv = tmp_path_factory.mktemp("hinted") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    site = Path(subprocess.run(
        [venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    (site / "suite.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_path('purelib')!r})\n")
    (venv / ".installed").touch()  # the rule's order-only prerequisite: installed
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    made = subprocess.run(
        ["make", "--no-print-directory", f"VENV={venv}",
         f"{venv}/etc/ipython/ipython_kernel_config.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stdout + made.stderr
    return venv


@pytest.fixture
def kernel(hinted_venv, tmp_path, lab_config):
    """A kernel of the hinted venv (a profile folder of its own: no user configuration);
    yields a function that runs a cell and returns its error output (or None)."""
    specs = tmp_path / "kernels" / "hinted"
    specs.mkdir(parents=True)
    (specs / "kernel.json").write_text(json.dumps({
        "argv": [str(hinted_venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"], "display_name": "hinted", "language": "python"}))
    specs_manager = jupyter_client.kernelspec.KernelSpecManager(
        kernel_dirs=[str(tmp_path / "kernels")])
    manager = jupyter_client.KernelManager(kernel_name="hinted",
                                           kernel_spec_manager=specs_manager)
    manager.start_kernel(env={**os.environ, "IPYTHONDIR": str(tmp_path / "ipython"),
                              "LAB_STATE_DIR": str(lab_config.state_dir)},
                         cwd=str(ROOT / "notebooks"))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)

    def run(code: str) -> dict | None:
        errors = []

        def keep(message):
            if message["msg_type"] == "error":
                errors.append(message["content"])

        reply = client.execute_interactive(code, timeout=120, output_hook=keep)
        if reply["content"]["status"] == "error":
            assert len(errors) == 1, errors
            return {**errors[0], "text": ANSI.sub("", "\n".join(errors[0]["traceback"]))}
        assert not errors, errors
        return None

    yield run
    client.stop_channels()
    manager.shutdown_kernel(now=True)


@pytest.mark.timeout(300)
def test_a_cell_run_before_setup_says_to_run_setup_first(kernel):
    error = kernel("queue.peek_messages()")
    assert (error["ename"], error["evalue"]) == ("NameError", "name 'queue' is not defined")
    assert "----> 1 queue.peek_messages()" in error["text"], "the usual traceback is kept"
    assert error["text"].rstrip().endswith(
        "NameError: name 'queue' is not defined\n" + HINT), error["text"]
    assert kernel("import labsupport") is None
    assert HINT in kernel("queue")["text"], "an import is not the Setup cell's connect()"


@pytest.mark.timeout(300)
def test_after_setup_a_name_error_is_untouched(kernel, cloud):
    assert kernel("import labsupport\nlab = labsupport.connect('hints', quiet=True)") is None
    error = kernel("queue.peek_messages()")
    assert (error["ename"], error["evalue"]) == ("NameError", "name 'queue' is not defined")
    assert error["text"].rstrip().endswith("NameError: name 'queue' is not defined"), \
        error["text"]
    assert HINT not in error["text"]
    assert kernel("del lab") is None
    assert HINT in kernel("queue")["text"], "without the Setup cell's lab, the hint is back"


def test_the_hint_is_one_sentence():
    assert HINT.count(". ") == 0 and HINT.endswith(".") and "labsupport.connect()" in HINT
