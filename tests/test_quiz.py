"""The practice questions: the data holds its promises, and the quiz cells show no answers."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from labsupport import quiz
from labsupport.lessons import LESSONS

ROOT = Path(__file__).resolve().parents[1]
QUIZ_LESSONS = [f"{n:02d}" for n in range(1, 12)]
SECTIONS = {path.name[:2]: nbformat.read(path, as_version=4)
            for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}


def headings(lesson: str) -> set[str]:
    """The lesson's '## …' and '### …' headings, without the hashes."""
    return {line.lstrip("#").strip() for cell in SECTIONS[lesson].cells
            if cell.cell_type == "markdown" for line in cell.source.splitlines()
            if line.startswith("## ") or line.startswith("### ")}


def test_every_lesson_01_to_11_has_three_to_five_questions():
    counts = {lesson: len(quiz.for_lesson(lesson)) for lesson in QUIZ_LESSONS}
    assert all(3 <= n <= 5 for n in counts.values()), counts
    assert quiz.lessons() == QUIZ_LESSONS


@pytest.mark.parametrize("q", quiz.questions(), ids=lambda q: q.id)
def test_a_question_has_four_options_one_right_answer_a_why_for_each_and_a_source(q):
    assert re.fullmatch(r"\d{2}-[1-5]", q.id)
    assert sorted(q.options) == sorted(q.why) == list(quiz.LETTERS)
    assert q.answer in quiz.LETTERS                  # exactly one: a single letter
    assert q.why[q.answer].startswith("Right")
    wrong = [q.why[x] for x in quiz.LETTERS if x != q.answer]
    assert not any(w.startswith("Right") for w in wrong), "only the answer is explained as right"
    assert len(set(q.options.values())) == 4 and all(v.strip() for v in q.options.values())
    assert q.question.strip().endswith("?")
    assert q.source.strip()


@pytest.mark.parametrize("q", quiz.questions(), ids=lambda q: q.id)
def test_a_source_is_a_learn_page_or_a_section_the_lesson_has(q):
    pages = re.findall(r"https://\S+", q.source)
    assert all(p.startswith("https://learn.microsoft.com/") for p in pages), pages
    cited = re.findall(r"\b(\d{2}) § ([^;]+)", q.source)
    assert pages or cited, f"{q.id}: no Learn page and no lesson section"
    for lesson, section in cited:
        section = section.strip()
        assert any(h.startswith(section) or section.startswith(h.split(":")[0])
                   for h in headings(lesson)), f"{q.id}: lesson {lesson} has no section {section!r}"


def test_ids_are_unique_and_numbered_in_order():
    ids = [q.id for q in quiz.questions()]
    assert len(ids) == len(set(ids))
    for lesson in QUIZ_LESSONS:
        assert [q.id for q in quiz.for_lesson(lesson)] == \
            [f"{lesson}-{k}" for k in range(1, len(quiz.for_lesson(lesson)) + 1)]


def test_show_prints_the_questions_and_options_but_never_the_explanations(capsys):
    quiz.show("04")
    shown = capsys.readouterr().out
    for q in quiz.for_lesson("04"):
        assert q.id in shown and "d) " in shown
        for why in q.why.values():
            assert why[:40] not in shown
    assert "Right" not in shown and "Source" not in shown
    assert quiz.render(4) == quiz.render("04")


def test_a_right_answer_says_so_and_names_the_source(capsys):
    q = quiz.find("04-2")
    quiz.answer("04-2", q.answer.upper())
    said = capsys.readouterr().out
    assert "Right." in said and q.source[:30] in said


def test_a_wrong_answer_says_why_it_is_wrong_and_where_to_read():
    q = quiz.find("05-3")
    wrong = next(x for x in quiz.LETTERS if x != q.answer)
    right, text = quiz.verdict("05-3", f"{wrong})")
    assert not right
    assert "try another" in text and q.why[wrong][:30] in text and "Source:" in text


@pytest.mark.parametrize("call, says", [
    (lambda: quiz.answer("04-9", "a"), "lesson 04 has 04-1"),
    (lambda: quiz.answer("4-2", "a"), "There is no question '4-2'"),
    (lambda: quiz.answer("04-2", "e"), "answer with one letter, a, b, c or d"),
    (lambda: quiz.show("13"), "use one of 01"),
])
def test_bad_input_gets_one_clear_sentence(call, says):
    with pytest.raises(quiz.QuizError) as caught:
        call()
    message = str(caught.value)
    assert says in message and message.count(". ") == 0 and message.endswith(".")


@pytest.mark.parametrize("lesson", QUIZ_LESSONS)
def test_each_lesson_has_a_practice_section_whose_cell_shows_only_the_questions(lesson):
    cells = SECTIONS[lesson].cells
    titles = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
              and c.source.startswith("## Practice questions")]
    recap = next(i for i, c in enumerate(cells) if c.source.startswith("## Recap"))
    assert len(titles) == 1 and titles[0] < recap, "a '## Practice questions' before the Recap"
    code = [c for c in cells[titles[0]:recap] if c.cell_type == "code"]
    assert [c.source for c in code] == [f'labsupport.quiz.show("{lesson}")']
    shown = "".join(o.get("text", "") for o in code[0].outputs)
    assert shown.strip() == quiz.render(lesson).strip(), "stored output = the questions"
    for q in quiz.for_lesson(lesson):
        assert not any(why[:40] in shown for why in q.why.values())


def test_lesson_numbers_match_the_course():
    assert {lesson.number for lesson in LESSONS} >= set(QUIZ_LESSONS)
