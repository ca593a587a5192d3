"""What a learner sees: JupyterLab runs lesson 03 top to bottom in a real browser.

Starts JupyterLab on loopback with a token, opens the notebook in headless Chromium
(Debian's package, driven by Playwright), runs every cell from the Run menu, waits for
the kernel to go idle, and checks that no error output appeared and the exercise check
passed. Saves a screenshot (to images/ when LAB_REFRESH_SCREENSHOT=1).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# No calls home: no news feed, no update check, no extension manager querying PyPI.
QUIET_LAB = ["--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
NOTEBOOK = "03_send_peek_receive.ipynb"
EXPECTED = "5 messages received in 1 request and deleted."

if not CHROMIUM:
    if os.environ.get("LAB_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required (LAB_REQUIRE_BROWSER is set): apt-get install chromium")
    pytest.skip("Chromium not installed (apt-get install chromium)", allow_module_level=True)

playwright_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _quiet_settings(folder: Path) -> Path:
    """User settings that turn off the "get notified about Jupyter news?" pop-up."""
    notification = folder / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    return folder


@pytest.fixture
def jupyterlab(tmp_path, cloud):
    """A JupyterLab server on a copy of the notebooks; yields its base URL and token."""
    workspace = tmp_path / "lab"
    shutil.copytree(ROOT / "notebooks", workspace / "notebooks")
    shutil.copytree(ROOT / "images", workspace / "images")
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyterlab.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}",
         f"--notebook-dir={workspace / 'notebooks'}", "--ServerApp.open_browser=False",
         "--allow-root", *QUIET_LAB],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
             "JUPYTERLAB_SETTINGS_DIR": str(_quiet_settings(tmp_path / "settings"))},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log.close()
                pytest.fail("JupyterLab did not start:\n"
                            + (tmp_path / "jupyterlab.log").read_text()[-2000:])
            time.sleep(0.2)
    yield base, token
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def test_lesson_runs_in_jupyterlab(jupyterlab, tmp_path):
    base, token = jupyterlab
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                             headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(120_000)
        try:
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.locator(".jp-Notebook").first.wait_for()
            kernel_idle = page.locator(".jp-StatusBar-Widget", has_text="| Idle").first
            kernel_idle.wait_for()
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            page.get_by_text(EXPECTED, exact=False).first.wait_for()
            page.get_by_text("deleted send-peek-receive-", exact=False).first.wait_for()
            kernel_idle.wait_for()

            prompts = page.evaluate(
                "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                ".map(p => p.textContent.trim()).filter(Boolean)")
            assert prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), prompts
            errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
            assert errors.count() == 0, errors.first.inner_text()

            page.locator(".jp-Notebook h3", has_text="Pitfall 1").first.evaluate(
                "heading => heading.scrollIntoView()")
            shot = tmp_path / "jupyterlab-lesson.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            if os.environ.get("LAB_REFRESH_SCREENSHOT"):
                shutil.copy(shot, ROOT / "images" / "jupyterlab-lesson.png")
        finally:
            browser.close()
