"""A lesson's header says the time that the README's contents table (from lessons.py) and
the instructor guide (docs/CLASSROOM.md) say."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from labsupport.lessons import LESSONS

ROOT = Path(__file__).resolve().parents[1]


def header_minutes(lesson) -> int:
    title = next(c.source for c in nbformat.read(ROOT / "notebooks" / lesson.file,
                                                 as_version=4).cells
                 if c.cell_type == "markdown" and c.source.startswith("# "))
    found = re.search(r"\*\*Time:\*\* about (\d+) minutes", title)
    assert found, f"{lesson.file}: no '**Time:** about N minutes' in the title cell"
    return int(found.group(1))


def readme_minutes(lesson) -> int:
    row = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith(f"| {lesson.number} | "))
    return int(re.search(r"\| (\d+) min \|", row).group(1))


def classroom_minutes(lesson) -> int:
    guide = (ROOT / "docs" / "CLASSROOM.md").read_text(encoding="utf-8").splitlines()
    row = next(line for line in guide if line.startswith(f"| {lesson.number} {lesson.title} |"))
    return int(re.search(r"\| (\d+) min \|", row).group(1))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda x: x.number)
def test_the_header_time_matches_the_contents_table_and_the_guide(lesson):
    assert header_minutes(lesson) == readme_minutes(lesson) == lesson.minutes
    assert classroom_minutes(lesson) == lesson.minutes
