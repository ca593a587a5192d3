"""Generate the navigation line of every notebook and the contents tables.

Writes a "← previous | contents | next →" line at the top and bottom of each notebook
(cells tagged ``nav``), the learning-path table in ``00_start_here.ipynb`` (cell tagged
``contents``) and in README.md (between ``<!-- contents -->`` markers).

    python tools/navigation.py          # rewrite what is out of date
    python tools/navigation.py --check  # exit 1 if anything is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labsupport.lessons import LESSONS  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
START, END = "<!-- contents:start -->", "<!-- contents:end -->"


def contents_table(link_prefix: str) -> str:
    rows = ["| # | Lesson | Time | What you learn |", "|---|---|---|---|"]
    for lesson in LESSONS:
        title = f"[{lesson.title}]({link_prefix}{lesson.file})" if lesson.present else (
            f"{lesson.title} *(coming)*")
        rows.append(f"| {lesson.number} | {title} | {lesson.minutes} min | {lesson.teaches} |")
    return "\n".join(rows)


def nav_line(index: int, present: list) -> str:
    lesson = present[index]
    parts = []
    if index > 0:
        parts.append(f"[← {present[index - 1].label}]({present[index - 1].file})")
    parts.append("[Contents](00_start_here.ipynb#Learning-path)")
    if index + 1 < len(present):
        parts.append(f"[{present[index + 1].label} →]({present[index + 1].file})")
    return f"<small>{lesson.label} · " + " | ".join(parts) + "</small>"


def _tagged(cell, tag: str) -> bool:
    return tag in cell.get("metadata", {}).get("tags", [])


def _markdown(source: str, tag: str, cell_id: str):
    """A tagged markdown cell with a fixed id, so regenerating it changes nothing."""
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = [tag]
    cell["id"] = cell_id
    return cell


def update_notebook(path: Path, line: str, contents: str | None, write: bool = True) -> bool:
    """Put the nav line first and last (and the contents table in 00); True if that
    changes the notebook. ``write=False`` only checks: the file is never touched."""
    notebook = nbformat.read(path, as_version=4)
    before = nbformat.writes(notebook)
    cells = [c for c in notebook.cells if not _tagged(c, "nav")]
    if contents is not None:
        table = f"## Learning path\n\n{contents}"
        existing = [c for c in cells if _tagged(c, "contents")]
        if existing:
            existing[0].source = table
        else:
            cells.insert(max(len(cells) - 1, 0), _markdown(table, "contents", "contents"))
    notebook.cells = [_markdown(line, "nav", "nav-top"), *cells,
                      _markdown(line, "nav", "nav-bottom")]
    changed = nbformat.writes(notebook) != before
    if changed and write:
        nbformat.write(notebook, path)
    return changed


def update_readme(contents: str, write: bool = True) -> bool:
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md needs the markers {START} and {END}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{contents}\n{END}{tail}"
    if new != text and write:
        README.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    present = [lesson for lesson in LESSONS if lesson.present]
    stale = []
    for index, lesson in enumerate(present):
        path = NOTEBOOKS / lesson.file
        contents = contents_table("") if lesson.number == "00" else None
        if update_notebook(path, nav_line(index, present), contents, write=not check):
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                print(f"updated {path.relative_to(ROOT)}")
    if check:
        if update_readme(contents_table("notebooks/"), write=False):
            stale.append("README.md")
        if stale:
            print("out of date (run `python tools/navigation.py`): " + ", ".join(stale))
            return 1
        return 0
    if update_readme(contents_table("notebooks/")):
        print("updated README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
