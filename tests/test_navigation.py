"""Navigation lines and contents tables are generated, and must be current."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

from labsupport.lessons import LESSONS

ROOT = Path(__file__).resolve().parents[1]


def test_navigation_and_contents_are_up_to_date():
    result = subprocess.run([sys.executable, "tools/navigation.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_notebook_is_in_the_learning_path():
    listed = {lesson.file for lesson in LESSONS}
    present = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert present <= listed, f"add to labsupport/lessons.py: {sorted(present - listed)}"


def test_each_notebook_starts_and_ends_with_its_nav_line():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for cell in (cells[0], cells[-1]):
            assert "nav" in cell["metadata"].get("tags", []), path.name
            assert "[Contents](00_start_here.ipynb#Learning-path)" in "".join(cell["source"])


def test_check_reports_a_stale_notebook_without_writing_it(tmp_path, monkeypatch):
    """--check runs in every test session, while authors write notebooks that have no
    nav lines yet: it must never write a file (a write-then-restore could undo theirs)."""
    spec = importlib.util.spec_from_file_location("navigation", ROOT / "tools" / "navigation.py")
    navigation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(navigation)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    monkeypatch.setattr(navigation, "ROOT", tmp_path)
    monkeypatch.setattr(navigation, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(navigation, "README", tmp_path / "README.md")
    stale = tmp_path / "notebooks" / LESSONS[3].file
    notebook = json.loads(stale.read_text())
    notebook["cells"] = notebook["cells"][1:-1]  # no nav lines, as a new notebook starts
    stale.write_text(json.dumps(notebook))
    before = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*") if path.is_file()}

    assert navigation.main(["--check"]) == 1

    after = {path: path.stat().st_mtime_ns for path in before}
    assert after == before, "--check wrote a file"
