"""Azurite-vs-Azure callouts and docs/AZURE_DIFFERENCES.md stay in step (issue 21 §7).

A callout (a blockquote that starts with **Azurite vs Azure**) links to exactly one row of
the table; any other block of a lesson that names Azurite and says what Azure does links to
the row behind it. Each row cites Azure's answer and names the tests
that measure Azurite's, and those tests exist. Each row is used, by exactly the lessons its
*Lessons* cell lists. The rules are written out at the top of the document.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
from notebook_prose import NOTEBOOKS, ROOT, Block, blocks, notebook_blocks

DOC = ROOT / "docs" / "AZURE_DIFFERENCES.md"
LINK_TARGET = "../docs/AZURE_DIFFERENCES.md"
_DOC_LINK = re.compile(r"\]\(([^)\s]*AZURE_DIFFERENCES\.md[^)\s]*)\)")
_ROW = re.compile(r'^\| <a id="([^"]+)" name="([^"]+)"></a>')
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TEST = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
_SOURCE = re.compile(r"\]\((https://[^)\s]+)\)")
AZURITE = re.compile(r"\bAzurite\b")
AZURE_AS_BACKEND = re.compile(
    r"\b(?:on|in|with|against|than|from|for|and|as|like) (?:real )?Azure\b"
    r"(?!\s+(?:SDKs?|Functions|Storage|Resource|CLI|Service Bus|portal|region|subscription"
    r"|account|identity|AD|Monitor|Queue|Blob)\b)"
    r"|\bAzure(?:['’]s|:| (?:answers|refuses|says|sends|keeps|counts|takes|gives|may|applies"
    r"|documents|does|has|lists|targets|also|deletes|checks|is|stores|returns|accepts"
    r"|offers|reports))",
    re.I,
)
CALLOUT_START = re.compile(r"^Azurite vs Azure\b")


@dataclass(frozen=True)
class Row:
    anchor: str
    azure: str
    azurite: str
    tests: tuple[tuple[str, str], ...]
    lessons: frozenset[str]
    line: str


def rows(text: str) -> list[Row]:
    found = []
    for line in text.splitlines():
        match = _ROW.match(line)
        if not match:
            continue
        assert match[1] == match[2], f"id and name differ: {line[:80]}"
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 5, f"a row has five cells: {line[:80]}"
        _, azure, azurite, measured, lessons = cells
        found.append(Row(match[1], azure, azurite, tuple(_TEST.findall(measured)),
                         frozenset(re.findall(r"\b\d\d\b", lessons)), line))
    return found


@cache
def table() -> dict[str, Row]:
    found = rows(DOC.read_text(encoding="utf-8"))
    anchors = [row.anchor for row in found]
    assert len(anchors) == len(set(anchors)), f"an anchor is used twice: {anchors}"
    return {row.anchor: row for row in found}


def is_callout(block: Block) -> bool:
    return block.kind == "quote" and bool(CALLOUT_START.match(block.prose.replace("*", "")))


def contrasts(block: Block) -> bool:
    """Does this block set what Azurite does against what Azure does?"""
    text = block.prose.replace("*", "")
    return bool(AZURITE.search(text) and AZURE_AS_BACKEND.search(text))


def anchors_linked(block: Block) -> list[str]:
    """The anchors this block links to in the differences table ('' for the bare file)."""
    return [target.partition("#")[2] for target in _DOC_LINK.findall(block.text)]


def problems(block: Block, known: set[str]) -> list[str]:
    """What is wrong with how one block of a lesson refers to the table."""
    found = []
    for target in _DOC_LINK.findall(block.text):
        if target.partition("#")[0] != LINK_TARGET:
            found.append(f"links to {target!r}: write {LINK_TARGET}#<anchor>")
    linked = [anchor for anchor in anchors_linked(block) if anchor]
    found += [f"links to #{anchor}, which is no row of docs/AZURE_DIFFERENCES.md"
              for anchor in linked if anchor not in known]
    first_words = " ".join(block.prose.replace("*", "").split()[:12])
    if is_callout(block) and len(linked) != 1:
        found.append(f"callout with {len(linked)} row links (needs exactly 1): {first_words}…")
    elif not is_callout(block) and contrasts(block) and not linked:
        found.append(f"contrasts Azurite with Azure without a row link: {first_words}…")
    return [f"{block.where}: {problem}" for problem in found]


def lessons_linking(paths=NOTEBOOKS) -> dict[str, set[str]]:
    users = defaultdict(set)
    for block in notebook_blocks(paths):
        for anchor in anchors_linked(block):
            if anchor:
                users[anchor].add(block.notebook[:2])
    return users


@cache
def defined_functions(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(node.name for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


# ---- the rules themselves, on samples -------------------------------------------------------

KNOWN = {"stale-pop-receipt"}


def sample(markdown: str) -> list[str]:
    return [p for block in blocks(markdown, "04_sample.ipynb", 3) for p in problems(block, KNOWN)]


def test_a_callout_with_one_row_link_passes():
    assert sample("> **Azurite vs Azure:** Azurite answers 400; Azure answers 404\n"
                  "> ([the difference](../docs/AZURE_DIFFERENCES.md#stale-pop-receipt)).") == []


def test_a_callout_without_a_link_or_with_two_is_named():
    assert sample("> **Azurite vs Azure.** Azurite answers 400.") == [
        "04_sample.ipynb cell 3: callout with 0 row links (needs exactly 1): "
        "Azurite vs Azure. Azurite answers 400.…"]
    two = ("> **Azurite vs Azure:** see [a](../docs/AZURE_DIFFERENCES.md#stale-pop-receipt)"
           " and [b](../docs/AZURE_DIFFERENCES.md#stale-pop-receipt).")
    assert "callout with 2 row links" in sample(two)[0]


def test_a_contrast_outside_a_callout_needs_a_row_link():
    bullet = "* A stale pop receipt: Azure answers 404 `MessageNotFound`, Azurite 400."
    assert "contrasts Azurite with Azure without a row link" in sample(bullet)[0]
    linked = bullet + " ([why](../docs/AZURE_DIFFERENCES.md#stale-pop-receipt))"
    assert sample(linked) == []


def test_naming_azurite_or_the_azure_sdk_alone_is_no_contrast():
    assert sample("Azurite, Microsoft's storage emulator, serves the queues.") == []
    assert sample("Azurite runs the same Azure SDK calls as Azure Functions do.") == []
    assert sample("`connect()` starts the local cloud; the cells work the same on Azure.") == []


def test_a_link_to_a_missing_row_or_by_another_path_is_named():
    (missing,) = sample("> **Azurite vs Azure:** [x](../docs/AZURE_DIFFERENCES.md#nope)")
    assert "links to #nope, which is no row" in missing
    wrong_path = sample("See [x](docs/AZURE_DIFFERENCES.md#stale-pop-receipt).")
    assert "write ../docs/AZURE_DIFFERENCES.md#<anchor>" in wrong_path[0]


def test_rows_are_read_with_their_tests_and_lessons():
    (row,) = rows('| <a id="x-y" name="x-y"></a>T | 404 ([Learn](https://learn.microsoft.com/a))'
                  " | 400 | `tests/test_a.py::test_b`, `tests/c/test_d.py::test_e` | 04, 09 |")
    assert (row.anchor, row.tests, row.lessons) == (
        "x-y", (("tests/test_a.py", "test_b"), ("tests/c/test_d.py", "test_e")),
        frozenset({"04", "09"}))


# ---- the table -----------------------------------------------------------------------------

def test_the_table_has_rows_with_stable_anchors():
    assert len(table()) >= 10
    for anchor in table():
        assert _SLUG.fullmatch(anchor), f"anchors are lowercase-with-hyphens: {anchor!r}"


@pytest.mark.parametrize("anchor", sorted(table()))
def test_each_row_cites_azure_and_names_tests_that_exist(anchor):
    row = table()[anchor]
    sources = _SOURCE.findall(row.azure)
    assert sources, f"#{anchor}: Azure's answer needs a link to its source"
    for url in sources:
        host = urlparse(url).netloc
        assert host in ("learn.microsoft.com", "github.com"), (
            f"#{anchor}: cite Microsoft Learn or a recorded response on GitHub, not {host}")
    assert row.azurite, f"#{anchor}: say what Azurite answers"
    assert row.tests, f"#{anchor}: name the test that measures Azurite's answer (file::test)"
    for path, function in row.tests:
        assert (ROOT / path).is_file(), f"#{anchor}: {path} does not exist"
        assert function in defined_functions(path), f"#{anchor}: no {function} in {path}"


def test_every_row_is_linked_by_exactly_the_lessons_it_lists():
    users = lessons_linking()
    wrong = {anchor: (sorted(row.lessons), sorted(users.get(anchor, ())))
             for anchor, row in table().items() if row.lessons != users.get(anchor, set())}
    assert not wrong, ("rows whose Lessons cell differs from the lessons that link to them "
                       "(listed, linking): " + repr(wrong))


# ---- the lessons ---------------------------------------------------------------------------

@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: Path(path).stem[:2])
def test_the_lessons_callouts_and_contrasts_link_to_one_row(notebook):
    known = set(table())
    found = [problem for block in notebook_blocks([notebook]) for problem in problems(block, known)]
    assert not found, "\n".join(found)
