"""Read the prose of the lessons: markdown cells as blocks and sentences, and the figures in them.

Shared by tests/test_prose_figures.py (figures that describe a run must be printed by it)
and tests/test_azure_differences.py (Azurite-vs-Azure callouts link to one row of
docs/AZURE_DIFFERENCES.md). Only the standard library: nothing here needs a cloud.

A *block* is what a reader sees as one piece of a cell: a paragraph, one list item, one
table row, a heading, or a whole blockquote. Fenced code is not prose and is dropped. The
*prose* of a block is its text with code spans replaced by ``…``, links reduced to their
text and HTML tags removed — what is left is what the lesson says in words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# Cells that tools/navigation.py writes from labsupport/lessons.py (course data, tested there).
GENERATED_TAGS = {"nav", "contents"}

_FENCE = re.compile(r"^\s*(```|~~~)")
_ITEM = re.compile(r"^\s{0,3}(?:[*+-]|\d+[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_INLINE_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")
_REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<https?://[^>]+>|https?://\S+")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_SENTENCE_END = re.compile(r"(?<=[.!?])[*_)\"”]*\s+(?=[\"“(*_]*[A-Z0-9…])")


@dataclass(frozen=True)
class Block:
    notebook: str  # file name, e.g. "04_visibility_timeout.ipynb"
    cell: int  # index of the cell in the notebook
    kind: str  # "paragraph", "item", "row", "heading", "quote"
    text: str  # the block's markdown, as written

    @property
    def prose(self) -> str:
        return prose(self.text)

    @property
    def where(self) -> str:
        return f"{self.notebook} cell {self.cell}"


def prose(markdown: str) -> str:
    """The words of a piece of markdown: code spans become …, links their text, no tags."""
    text = _CODE_SPAN.sub("…", markdown)
    text = _IMAGE.sub(r"\1", text)
    text = _INLINE_LINK.sub(r"\1", text)
    text = _REFERENCE_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub("…", text)
    text = _TAG.sub(" ", text)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> list[str]:
    """Split prose into sentences (good enough to point a reader at the right one)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def blocks(markdown: str, notebook: str = "<text>", cell: int = 0) -> Iterator[Block]:
    """The blocks of one markdown cell, in order; fenced code and link definitions dropped."""
    lines = markdown.splitlines()
    current: list[str] = []
    kind = "paragraph"
    in_fence = False

    def flush():
        nonlocal current
        if current and any(line.strip() for line in current):
            yield Block(notebook, cell, kind, "\n".join(current))
        current = []

    for line in lines:
        if _FENCE.match(line):
            yield from flush()
            in_fence = not in_fence
            continue
        if in_fence or _LINK_DEFINITION.match(line):
            continue
        stripped = line.strip()
        if not stripped:
            yield from flush()
            continue
        if stripped.startswith(">"):
            if kind != "quote":
                yield from flush()
                kind = "quote"
            current.append(line)
            continue
        if kind == "quote":
            yield from flush()
            kind = "paragraph"
        if _HEADING.match(line):
            yield from flush()
            kind = "heading"
            current.append(line)
            yield from flush()
            kind = "paragraph"
        elif stripped.startswith("|"):
            if not re.fullmatch(r"\|[\s:|-]+\|?", stripped):  # not the |---| separator
                yield from flush()
                kind = "row"
                current.append(line)
                yield from flush()
                kind = "paragraph"
        elif _ITEM.match(line):
            yield from flush()
            kind = "item"
            current.append(line)
        else:
            current.append(line)
    yield from flush()


@dataclass(frozen=True)
class Cell:
    notebook: str
    index: int
    source: str


def markdown_cells(paths=NOTEBOOKS) -> Iterator[Cell]:
    """Every hand-written markdown cell of the lessons (generated nav and contents left out)."""
    for path in paths:
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            if GENERATED_TAGS & set(cell.get("metadata", {}).get("tags", [])):
                continue
            source = cell["source"]
            yield Cell(Path(path).name, index, "".join(source) if isinstance(source, list)
                       else source)


def notebook_blocks(paths=NOTEBOOKS) -> Iterator[Block]:
    for cell in markdown_cells(paths):
        yield from blocks(cell.source, cell.notebook, cell.index)
