"""Navigation lines and contents tables are generated, and must be current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from labsupport.course import LESSONS

ROOT = Path(__file__).resolve().parents[1]


def test_navigation_and_contents_are_up_to_date():
    result = subprocess.run([sys.executable, "tools/navigation.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_notebook_is_in_the_learning_path():
    listed = {lesson.file for lesson in LESSONS}
    present = {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert present <= listed, f"add to labsupport/course.py: {sorted(present - listed)}"


def test_each_notebook_starts_and_ends_with_its_nav_line():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for cell in (cells[0], cells[-1]):
            assert "nav" in cell["metadata"].get("tags", []), path.name
            assert "[Contents](00_start_here.ipynb#Learning-path)" in "".join(cell["source"])
