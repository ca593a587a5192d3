"""The hub's single-user command: a learner's JupyterLab, and their local cloud stopped with it.

JupyterHub's spawner runs this as the learner (classroom/jupyterhub_config.py). It

1. brings the learner's own copy of the notebooks up to date (:mod:`.notebooks`), in
   ``~/queue-lab/notebooks``, and says in ``~/queue-lab/notebooks/LAB-UPDATES.md`` (and in
   the hub's log) what was copied, updated or kept;
2. runs ``jupyterhub-singleuser`` there, with ``LAB_STATE_DIR`` (the spawner's, else
   ``~/queue-lab/.lab``) so ``connect()`` starts the learner's local cloud under their home;
3. when that server exits (the learner stops it, the idle culler or the hub does), stops
   the learner's local cloud: nothing keeps running for a learner who left.

Signals the spawner sends (SIGINT, SIGTERM) are passed on to the server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ..paths import project_root
from .notebooks import sync

#: The lab's JupyterLab settings, as `make lab` starts it (no calls home, no news pop-up).
QUIET_LAB = [
    "--LabApp.news_url=None",
    "--LabApp.extension_manager=readonly",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]


def course_folder(home: Path) -> Path:
    return home / "queue-lab"


def prepare(home: Path) -> Path:
    """The learner's folder: notebooks synced, docs linked (the lessons link ../docs)."""
    course = course_folder(home)
    notebooks = course / "notebooks"
    result = sync(project_root() / "notebooks", notebooks)
    docs = course / "docs"
    if not docs.exists() and not docs.is_symlink():
        docs.symlink_to(project_root() / "docs")
    lines = result.sentences()
    if lines:
        (notebooks / "LAB-UPDATES.md").write_text(
            "# What changed in your copy of the lab\n\n"
            + "".join(f"* {line}\n" for line in lines))
    for line in lines:
        print(f"queue-lab: {line}", flush=True)
    return notebooks


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    home = Path.home()
    notebooks = prepare(home)
    env = dict(os.environ)
    env.setdefault("LAB_STATE_DIR", str(course_folder(home) / ".lab"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub.singleuser",
         f"--notebook-dir={notebooks}",
         f"--LabApp.app_settings_dir={project_root() / 'lab-settings'}",
         *QUIET_LAB, *args],
        env=env)

    def forward(signum, frame):
        server.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, forward)
    status = server.wait()
    # The learner's local cloud stops with their server (a no-op if it never started).
    subprocess.run([sys.executable, "-m", "labsupport", "down"], env=env,
                   stdout=subprocess.DEVNULL, check=False, timeout=120)
    return status


if __name__ == "__main__":
    sys.exit(main())
