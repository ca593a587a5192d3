"""Stored outputs of notebooks 04–07: plots are bare images, nothing on stderr, no timings.

nbval ignores PNGs but compares every text output, so a plot cell must store the image
alone (no "<Figure size …>" repr) and the printed story beside it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
DELIVERY = ["04_visibility_timeout.ipynb", "05_time_to_live.ipynb",
            "06_out_of_order_redelivery.ipynb", "07_duplicates_and_poison_messages.ipynb"]


def code_cells(name):
    return [c for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells
            if c.cell_type == "code"]


def texts(cell):
    for output in cell.outputs:
        if output.output_type == "stream":
            yield output.text
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/"):
                yield value


@pytest.mark.parametrize("name", DELIVERY)
def test_plot_cells_store_only_the_image_and_the_story(name):
    plots = [c for c in code_cells(name) if c.source.startswith("timeline(")]
    assert plots, f"{name} has no timeline"
    for cell in plots:
        displays = [o for o in cell.outputs if o.output_type == "display_data"]
        assert [sorted(o.data) for o in displays] == [["image/png"]], cell.source
        assert not [o for o in cell.outputs if o.output_type == "execute_result"], cell.source


@pytest.mark.parametrize("name", DELIVERY)
def test_no_figure_repr_stderr_or_timing_in_stored_outputs(name):
    for cell in code_cells(name):
        assert not [o for o in cell.outputs if o.get("name") == "stderr"], cell.source
        for text in texts(cell):
            assert "<Figure size" not in text, cell.source
            if "practice" in cell.metadata.get("tags", []):
                continue  # the practice questions are data (tests/test_quiz.py), not a run's timing
            assert not re.search(r"\d+\.\d+ ?s\b|\bseconds?\b", text), (cell.source, text)


@pytest.mark.parametrize("name", DELIVERY)
def test_the_solution_cell_is_hidden_and_passes_its_check(name):
    solutions = [c for c in code_cells(name) if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) == 1
    assert solutions[0].metadata["jupyter"]["source_hidden"] is True
    assert "".join(texts(solutions[0])).startswith("✅")
