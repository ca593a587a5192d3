"""Every lesson has the same anatomy, and its stored outputs are clean.

Strict nbval compares outputs; this checks what nbval cannot: that each notebook is
built like the others (STYLE.md's anatomy) and stores no error, stderr, figure repr or
progress widget — a learner opening the committed notebook sees what a run produces.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if p.name[:2] not in ("00", "12")]


def cells(path):
    return nbformat.read(path, as_version=4).cells


def source(path) -> str:
    return "\n".join(c.source for c in cells(path))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_anatomy(path):
    body = source(path)
    title = next(c for c in cells(path) if c.cell_type == "markdown" and c.source.startswith("# "))
    assert title.source.startswith(f"# {path.name[:2]} · "), "title must be '# NN · Title'"
    assert "What you will learn" in title.source and "Time:" in title.source
    first_code = next(c for c in cells(path) if c.cell_type == "code")
    assert "labsupport.connect(" in first_code.source, "the first code cell connects"
    above = cells(path)[cells(path).index(first_code) - 1]
    assert "Run this first" in above.source or "first cell to run" in above.source, (
        "the markdown above the Setup cell must say to run it first (saved outputs look as if "
        "the notebook had run)")
    for section in ("## Recap", "## Cleanup"):
        assert section in body, f"missing {section}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lessons_have_a_checked_exercise_with_a_hidden_solution(path):
    assert "## Your turn" in source(path)
    assert "## Practice questions" in source(path), "practice questions (tests/test_quiz.py)"
    assert "labsupport.checks" in source(path)
    solutions = [c for c in cells(path) if "solution" in c.metadata.get("tags", [])]
    assert solutions, "a solution cell tagged 'solution'"
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in solutions)
    assert "<details>" in source(path), "exam answers and the solution text are collapsed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_are_clean(path):
    for cell in cells(path):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        assert cell.execution_count is not None, f"never executed: {cell.source[:60]}"
        for output in cell.outputs:
            assert output.output_type != "error", f"error stored: {cell.source[:60]}"
            assert output.get("name") != "stderr", f"stderr stored: {cell.source[:60]}"
            data = output.get("data", {})
            assert "application/vnd.jupyter.widget-view+json" not in data, "progress widget"
            assert "<Figure size" not in data.get("text/plain", ""), "figure repr stored"
