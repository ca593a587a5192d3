"""Lesson 10 writes its modes in cells; labsupport.throughput.modes is their tested copy.

Every function of the copy (``LESSON_FUNCTIONS``) must be defined in a code cell of the
notebook with the same statements, docstring included (compared as syntax trees, so only
formatting may differ). A mutated cell must not pass, so the comparison can tell them apart.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import nbformat
import pytest

from labsupport.throughput import modes

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "10_throughput_and_scale.ipynb"


def parse_cell(source: str) -> ast.Module:
    """A cell's syntax tree; a cell with a top-level ``await`` is parsed as a body."""
    try:
        return ast.parse(source)
    except SyntaxError:
        body = textwrap.indent(source, "    ") or "    pass"
        return ast.parse(f"async def _cell():\n{body}\n").body[0]


def definitions(sources: list[str]) -> dict[str, str]:
    """name -> dumped syntax tree of every top-level function the cells define."""
    found = {}
    for source in sources:
        for node in parse_cell(source).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[node.name] = ast.dump(node, include_attributes=False)
    return found


def notebook_sources() -> list[str]:
    return [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells
            if c.cell_type == "code"]


def copy_of(function) -> str:
    node = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    return ast.dump(node, include_attributes=False)


@pytest.mark.parametrize("name", list(modes.LESSON_FUNCTIONS))
def test_the_cell_and_the_copy_are_the_same_function(name):
    in_notebook = definitions(notebook_sources())
    assert name in in_notebook, f"lesson 10 defines no {name}() in a code cell"
    assert in_notebook[name] == copy_of(modes.LESSON_FUNCTIONS[name]), (
        f"{name}() in lesson 10 differs from labsupport.throughput.modes.{name}(): change "
        f"both")


def test_a_mutated_cell_is_told_apart():
    sources = notebook_sources()
    [cell] = [s for s in sources if "def consume_concurrently" in s]
    mutated = cell.replace("max_messages=32, messages_per_page=32",
                           "max_messages=32, messages_per_page=1")
    assert mutated != cell
    assert definitions([mutated])["consume_concurrently"] != copy_of(
        modes.consume_concurrently)


def test_the_measured_modes_are_the_notebooks_own():
    """The cells that measure pass the functions defined in the notebook, not the copy."""
    measuring = [s for s in notebook_sources() if "await measure(" in s]
    assert len(measuring) == 2
    assert not any("labsupport.throughput.modes" in s for s in notebook_sources())
