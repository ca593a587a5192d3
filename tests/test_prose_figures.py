"""A lesson's prose types no figure that describes a run: the run prints it (issue 21 §7).

Markdown cells are scanned for times, rates, ratios and percentages — a number (in digits,
or in words from "one" up) with s, ms, seconds, minutes, days, msg/s, req/s, ×, x or %.
Each one must be a documented constant in its documented phrase
(tests/documented_constants.py, with its source). Anything else fails, naming the notebook,
the cell and the sentence: print the figure from the run, cite the constant, or reword.

Not scanned, because none of it can carry a run's figure:
* code spans and link targets (a code span is code: ``time_to_live=2`` is the parameter
  the reader sees in the cell; a URL is an address);
* the generated navigation and contents cells, and the title's "**Time:** about N minutes"
  (course data from labsupport/lessons.py, checked by tests/test_lesson_times.py);
* the figures of exam-style questions and their answers, which set their own scene ("the
  round trip is 25 ms") — unless the sentence points at a run ("above", "measured",
  "printed", "this run", "here"…), which is scanned like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from documented_constants import CONSTANTS
from notebook_prose import NOTEBOOKS, blocks, markdown_cells, sentences

_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
         r"|thirty|forty|fifty|sixty|ninety|hundred|thousand)")
_NUMBER = rf"\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|{_WORD}(?:[- ]{_WORD})*"
_PER_SECOND = r"(?:msgs?|messages?|reqs?|requests?|polls?|sends?|receives?|deletes?|ops)"
_UNIT = (
    rf"{_PER_SECOND}\s*(?:/\s*s\b|per\s+second)|/s\b"
    r"|ms|milliseconds?|s|secs?|seconds?|min|mins|minutes?|h|hrs?|hours?|days?|weeks?"
    r"|%|per\s?cent|×|x|times(?=\s+(?:faster|slower|as|more|fewer|less)\b)"
)
FIGURE = re.compile(
    rf"(?<![\w.])(?P<figure>(?:{_NUMBER})(?:\s*(?:,|–|-|to|and|or)\s*(?:{_NUMBER}))*)"
    rf"(?P<gap>[\s\u00a0\u202f-]*)(?P<unit>{_UNIT})(?![\w/])",
    re.I,
)
ABBREVIATIONS = {"s", "ms", "sec", "secs", "min", "mins", "h", "hr", "hrs", "x"}
TIME_HEADER = re.compile(r"\*\*Time:\*\* about \d+ minutes\.")
EXAM_START = re.compile(r"^\*\*Exam-style questions\*\*", re.M)
POINTS_AT_A_RUN = re.compile(
    r"\b(?:above|below|measured|printed|this run|the run|this notebook|we saw|you saw|here)\b",
    re.I)


@dataclass(frozen=True)
class Finding:
    notebook: str
    cell: int
    figure: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.figure!r} in: {self.sentence}"


def figures(sentence: str) -> list[re.Match]:
    """The run-like figures of one sentence of prose (no code spans, no URLs)."""
    found = []
    for match in FIGURE.finditer(sentence):
        unit, gap = match["unit"], match["gap"]
        follows = sentence[match.end():]
        if unit in "×x" and re.match(r"\s*[\d(]", follows):
            continue  # multiplication: 65,536 × 3, (16 + 8) × 5
        if unit.lower() == "s" and not gap and re.fullmatch(r"[1-5]\d\d", match["figure"]):
            continue  # a plural HTTP status: "frequent 503s"
        if not match["figure"][0].isdigit() and (not gap or unit.lower() in ABBREVIATIONS):
            continue  # a number in words takes a word unit: "three seconds", not "ones"
        found.append(match)
    return found


def documented(sentence: str, match: re.Match):
    """The constant whose phrase covers this figure in this sentence, or None."""
    plain = sentence.replace("*", "")  # phrases are written without emphasis
    start = len(sentence[:match.start()].replace("*", ""))
    end = start + len(match[0].replace("*", ""))
    for constant in CONSTANTS:
        for phrase in constant.phrases:
            for hit in re.finditer(phrase, plain, re.I):
                if hit.start() <= start and end <= hit.end():
                    return constant, phrase
    return None


def scan_cell(source: str, notebook: str = "<text>", cell: int = 0) -> list[Finding]:
    """Every figure in one markdown cell that is neither exempt nor a documented constant."""
    if source.lstrip().startswith("# "):
        source = TIME_HEADER.sub("", source)
    exam = EXAM_START.search(source)
    parts = [(source, False)] if not exam else [(source[:exam.start()], False),
                                                (source[exam.start():], True)]
    findings = []
    for text, is_exam in parts:
        for block in blocks(text, notebook, cell):
            for sentence in sentences(block.prose):
                if is_exam and not POINTS_AT_A_RUN.search(sentence):
                    continue
                for match in figures(sentence):
                    if documented(sentence, match) is None:
                        findings.append(Finding(notebook, cell, match[0], sentence))
    return findings


def scan(paths) -> list[Finding]:
    return [finding for cell in markdown_cells(paths)
            for finding in scan_cell(cell.source, cell.notebook, cell.index)]


# ---- the scanner itself ----------------------------------------------------------------

RUN_PROSE = """\
The sync loop sent 1,234 messages/s, 3× slower than the async client; the median send took
12.5 ms and 97% of the requests were receives.

The waits grew — about 0.1, 0.2, 0.4 s — until the run took 30 s in all, and the last
message waited three seconds.
"""

DOCUMENTED_PROSE = """\
Unless you say otherwise a message lives **7 days**. `receive_messages` hides it for
`visibility_timeout` seconds (default 30 s; 1 s–7 days): send it with `time_to_live=2` and
read [the reference](https://learn.microsoft.com/rest/api/storageservices/get-messages?30s).
Azure targets 2,000 messages/s per queue; frequent 503s are the signal to shard, and
65,536 × 3 ⁄ 4 bytes fit with base64.
"""


def test_the_scanner_flags_every_figure_of_a_run():
    found = [finding.figure for finding in scan_cell(RUN_PROSE)]
    assert found == ["1,234 messages/s", "3×", "12.5 ms", "97%", "0.1, 0.2, 0.4 s", "30 s",
                     "three seconds"]


def test_the_scanner_names_the_cell_and_the_sentence():
    (finding,) = scan_cell("Intro.\n\nThe flash sale lived 2 seconds. Then it was gone.",
                           "05_time_to_live.ipynb", 7)
    assert str(finding) == ("05_time_to_live.ipynb cell 7: '2 seconds' in: "
                            "The flash sale lived 2 seconds.")


def test_the_scanner_passes_documented_constants_code_spans_urls_and_arithmetic():
    assert scan_cell(DOCUMENTED_PROSE) == []


def test_a_documented_value_outside_its_phrase_is_still_a_run_figure():
    assert [f.figure for f in scan_cell("The default is 30 s. Our consumer took 30 s.")] == [
        "30 s", "30 s"]
    assert [f.figure for f in scan_cell("After 7 days of testing it held.")] == ["7 days"]
    assert [f.figure for f in scan_cell("It held for seven days; the usual ones did not.")] == [
        "seven days"]


def test_only_the_title_cells_time_header_is_exempt():
    title = "# 04 · Visibility timeout\n\n**Time:** about 10 minutes. **Prerequisites:** 03."
    assert scan_cell(title) == []
    assert [f.figure for f in scan_cell("The demo takes about 10 minutes.")] == ["10 minutes"]


def test_exam_questions_may_set_a_scene_but_not_quote_a_run():
    recap = ("## Recap\n\n* Leases hide messages.\n\n**Exam-style questions**\n\n"
             "1. The round trip is 25 ms. How many messages/s can a loop send?\n\n"
             "<details><summary>Answers</summary>\n\n1. At most 40 messages/s (1 / 0.025 s). "
             "As measured above, the async client reached 900 messages/s.\n</details>")
    assert [f.figure for f in scan_cell(recap)] == ["900 messages/s"]


def test_headings_lists_tables_and_blockquotes_are_scanned_too():
    text = ("## Waited 3 s\n\n* took 4 s\n\n| mode | 5 ms |\n|---|---|\n\n"
            "> **Azurite vs Azure:** it took 6 s.")
    assert [f.figure for f in scan_cell(text)] == ["3 s", "4 s", "5 ms", "6 s"]


# ---- the allowlist -----------------------------------------------------------------------

def test_every_constant_cites_microsoft_or_the_azure_source():
    for constant in CONSTANTS:
        url = urlparse(constant.source)
        assert url.scheme == "https" and (
            url.netloc == "learn.microsoft.com"
            or constant.source.startswith("https://github.com/Azure/")), constant


def test_every_documented_phrase_is_used_by_a_lesson():
    """A phrase no lesson uses any more would let a future sentence through unseen."""
    used = set()
    for cell in markdown_cells(NOTEBOOKS):
        for block in blocks(cell.source, cell.notebook, cell.index):
            for sentence in sentences(block.prose):
                for match in figures(sentence):
                    hit = documented(sentence, match)
                    if hit:
                        used.add(hit)
    unused = [(c.figure, phrase) for c in CONSTANTS for phrase in c.phrases
              if (c, phrase) not in used]
    assert not unused, f"remove from tests/documented_constants.py: {unused}"


# ---- the lessons ---------------------------------------------------------------------------

@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: Path(path).stem[:2])
def test_the_lesson_types_no_run_figure(notebook):
    findings = scan([notebook])
    assert not findings, (
        "print these from the run, cite a documented constant (tests/documented_constants.py),"
        " or reword:\n" + "\n".join(map(str, findings)))
