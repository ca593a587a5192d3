"""What a learner sees: JupyterLab runs the lessons in a real browser.

Starts one JupyterLab on loopback with a token, the way ``make lab`` does (its quiet flags
and ``lab-settings/``), and one headless Chromium (Debian's package, driven by Playwright);
each test opens its notebook in a fresh page and an empty workspace and runs its cells:

* lesson 03 top to bottom from the Run menu: no error output, the exercise check passes;
* lesson 04 cell by cell: the queue inspector's row for message A goes visible → leased →
  visible → deleted while the cells run, without a reload.

Saves screenshots (to images/ when LAB_REFRESH_SCREENSHOT=1). Every wait is a condition
with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from labsupport.ports import free_port
from labsupport.waits import WaitTimeout, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# As `make lab`: no calls home (news feed, update check, extension manager querying PyPI)
# and the lab's default settings (no "get Jupyter news?" pop-up).
QUIET_LAB = ["--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             f"--LabApp.app_settings_dir={ROOT / 'lab-settings'}"]
NEWS_QUESTION = "Would you like to get notified about official Jupyter news?"
NOTEBOOK = "03_send_peek_receive.ipynb"
EXPECTED = "5 messages received in 1 request and deleted."

if not CHROMIUM:
    if os.environ.get("LAB_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required (LAB_REQUIRE_BROWSER is set): apt-get install chromium")
    pytest.skip("Chromium not installed (apt-get install chromium)", allow_module_level=True)

playwright_api = pytest.importorskip("playwright.sync_api")


def clear_outputs(page) -> None:
    """Clear the stored outputs and prompts, so that every output the test waits for is new."""
    page.get_by_role("menuitem", name="Edit", exact=True).click()
    page.get_by_role("menuitem", name="Clear Outputs of All Cells", exact=True).click()
    page.wait_for_function("() => !document.querySelector('.jp-OutputArea-output')")


def test_make_lab_starts_jupyterlab_as_this_test_does():
    makefile = (ROOT / "Makefile").read_text()
    for flag in QUIET_LAB:
        assert flag.replace(str(ROOT), "$(CURDIR)") in makefile, flag


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory, cloud):
    """One JupyterLab server for this module's tests, on a copy of the notebooks; yields its
    base URL and token. Each test opens its notebook in a fresh page and an empty workspace
    and shuts its kernels down afterwards (:func:`opened`)."""
    home = tmp_path_factory.mktemp("jupyterlab")
    workspace = home / "lab"
    shutil.copytree(ROOT / "notebooks", workspace / "notebooks")
    shutil.copytree(ROOT / "images", workspace / "images")
    port, token = free_port(), secrets.token_hex(16)
    log = open(home / "jupyterlab.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}",
         f"--notebook-dir={workspace / 'notebooks'}", "--ServerApp.open_browser=False",
         "--allow-root", *QUIET_LAB],
        stdout=log, stderr=subprocess.STDOUT,
        # Fresh user settings (none of this machine's); inspectors live, as in `make lab`.
        env={**os.environ, "JUPYTER_CONFIG_DIR": str(home / "cfg"),
             "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "LAB_INSPECTOR": "live"},
    )
    base = f"http://127.0.0.1:{port}"

    def started() -> bool:
        """Answering; raises once the process has ended."""
        if server.poll() is not None:
            raise ChildProcessError("JupyterLab exited")
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).close()
        except OSError:
            return False
        return True

    try:
        wait_for(started, what="JupyterLab to answer", timeout=90, interval=0.2)
    except (WaitTimeout, ChildProcessError):
        server.kill()
        log.close()
        pytest.fail("JupyterLab did not start:\n" + (home / "jupyterlab.log").read_text()[-2000:])
    yield base, token
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium for this module's tests; each test gets a context of its own
    (no cookies, storage or cache from an earlier test)."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                             headless=True)
        yield browser
        browser.close()


def _shut_down_kernels(jupyterlab) -> None:
    """End every kernel session of the server, as the end of a server of its own would."""
    base, token = jupyterlab
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/sessions",
                                                       headers=headers), timeout=30) as answer:
        sessions = json.load(answer)
    for session in sessions:
        urllib.request.urlopen(urllib.request.Request(
            f"{base}/api/sessions/{session['id']}", headers=headers, method="DELETE"),
            timeout=30).close()


@contextmanager
def opened(jupyterlab, chromium, notebook: str):
    """A Chromium page with ``notebook`` open in an empty workspace (``?reset``: nothing an
    earlier test opened comes back), its kernel idle and its stored outputs cleared."""
    base, token = jupyterlab
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}")
        page.locator(".jp-Notebook").first.wait_for()
        page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for()
        clear_outputs(page)
        yield page
        errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
        assert errors.count() == 0, errors.first.inner_text()
        assert page.get_by_text(NEWS_QUESTION).count() == 0
    finally:
        context.close()
        _shut_down_kernels(jupyterlab)


def kernel_idle(page):
    return page.locator(".jp-StatusBar-Widget", has_text="| Idle").first


def test_lesson_runs_in_jupyterlab(jupyterlab, chromium, tmp_path):
    with opened(jupyterlab, chromium, NOTEBOOK) as page:
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        page.get_by_text(EXPECTED, exact=False).first.wait_for()
        page.get_by_text("deleted send-peek-receive-", exact=False).first.wait_for()
        kernel_idle(page).wait_for()

        prompts = page.evaluate(
            "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
            ".map(p => p.textContent.trim()).filter(Boolean)")
        assert prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), prompts

        page.locator(".jp-Notebook h3", has_text="Pitfall 1").first.evaluate(
            "heading => heading.scrollIntoView()")
        shot = tmp_path / "jupyterlab-lesson.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get("LAB_REFRESH_SCREENSHOT"):
            shutil.copy(shot, ROOT / "images" / "jupyterlab-lesson.png")


INSPECTED = "04_visibility_timeout.ipynb"
# Notes every state the inspector's row for message A shows, in any view of it, in order.
RECORD_A = """() => {
  window.queueLabStates = [];
  const note = () => {
    for (const row of document.querySelectorAll('.qlab-inspector tr[data-message="A"]')) {
      const state = row.dataset.state + (row.dataset.actor ? ' by ' + row.dataset.actor : '');
      const seen = window.queueLabStates;
      if (seen[seen.length - 1] !== state) seen.push(state);
    }
  };
  new MutationObserver(note).observe(document.body,
    {subtree: true, childList: true, attributes: true, characterData: true});
  note();
}"""
A_STATES = ["visible", "leased by consumer-1", "visible", "leased by consumer-2",
            "deleted by consumer-2"]


def run_cell(page, snippet: str) -> None:
    """Run the code cell whose source contains ``snippet`` and wait until it has run.

    Needs cleared outputs (:func:`clear_outputs`): a stored prompt would read as done.
    """
    cell = page.locator(".jp-CodeCell",
                        has=page.locator(".jp-InputArea-editor", has_text=snippet)).first
    editor = cell.locator(".jp-InputArea-editor")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+Enter")
    cell.locator(".jp-InputPrompt", has_text=re.compile(r"^\[\d+\]:$")).wait_for()


def states_become(page, states: list[str]) -> None:
    """Wait until the states noted for A are exactly ``states`` (a deadline, no sleep)."""
    try:
        page.wait_for_function(
            "(want) => JSON.stringify(window.queueLabStates) === JSON.stringify(want)",
            arg=states, timeout=60_000)
    except playwright_api.TimeoutError:
        pytest.fail(f"the inspector's row for A went {page.evaluate('window.queueLabStates')}, "
                    f"expected {states}")


def test_the_inspector_follows_message_a_live(jupyterlab, chromium, tmp_path):
    with opened(jupyterlab, chromium, INSPECTED) as page:
        run_cell(page, "lab = labsupport.connect(")
        run_cell(page, "tracer = Tracer()")
        run_cell(page, "labsupport.inspect(queue)")
        inspector = page.locator(".qlab-inspector[data-status='running']").first
        inspector.wait_for()
        # Beside the cells, as the notebook suggests: a second view of the same widget.
        inspector.click(button="right")
        page.get_by_role("menuitem", name="Create New View for Cell Output").click()
        page.locator(".jp-LinkedOutputView .qlab-inspector").first.wait_for()
        page.evaluate(RECORD_A)

        run_cell(page, 'producer.send_message("A")')
        states_become(page, A_STATES[:1])
        run_cell(page, "a_1 = consumer_1.receive_message(visibility_timeout=2)")
        states_become(page, A_STATES[:3])       # the lease runs out while no cell runs
        run_cell(page, 'wait_until_visible(queue, "A")')
        states_become(page, A_STATES[:4])
        page.locator(".jp-LinkedOutputView .qlab-queue",
                     has_text="visible now 0 · hidden 1 · approximate total 1").wait_for()
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        shot = tmp_path / "queue-inspector.png"
        page.screenshot(path=str(shot))
        run_cell(page, "consumer_1.delete_message(a_1)")
        states_become(page, A_STATES)

        # The rest of the lesson; its cleanup deletes the queue, and the inspector stops.
        page.locator(".jp-CodeCell .jp-InputArea-editor", has_text="A lease runs out").first \
            .click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run Selected Cell and All Below", exact=True).click()
        page.get_by_text("all 3 steps done while the lease was held", exact=False).first \
            .wait_for()
        page.locator(".qlab-inspector[data-status='stopped']",
                     has_text="the queue was deleted").first.wait_for()
        kernel_idle(page).wait_for()
        assert page.evaluate("window.queueLabStates") == A_STATES   # and nothing after

    assert shot.stat().st_size > 10_000
    if os.environ.get("LAB_REFRESH_SCREENSHOT"):
        shutil.copy(shot, ROOT / "images" / "queue-inspector.png")
