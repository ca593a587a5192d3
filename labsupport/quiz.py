"""Practice questions at the end of each lesson: exam-style, four options, checked here.

The questions are data (``labsupport/data/quiz.json``): each has an id ``"NN-k"`` (lesson
NN, question k), a scenario, options a–d, exactly one right ``answer``, a ``why`` per
option (why it is right, or why it is wrong) and a ``source`` — a section of the lesson
(``"04 § 2 · …"``) or a Microsoft Learn page that proves the answer.

In a notebook::

    import labsupport.quiz
    labsupport.quiz.show("04")            # the questions, never the answers
    labsupport.quiz.answer("04-2", "c")   # right or not, why, and where it is written

Only the standard library: ``import labsupport.quiz`` loads no Azure SDK.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .errors import LabError

LETTERS = ("a", "b", "c", "d")
WIDTH = 92


class QuizError(LabError):
    """A question id or an option the quiz does not have."""


@dataclass(frozen=True)
class Question:
    """One practice question (see the module's docstring for the fields)."""

    id: str
    question: str
    options: dict[str, str]
    answer: str
    why: dict[str, str]
    source: str

    @property
    def lesson(self) -> str:
        return self.id.split("-")[0]


@cache
def questions() -> tuple[Question, ...]:
    """Every question, in the data file's order."""
    text = resources.files(__package__).joinpath("data", "quiz.json").read_text("utf-8")
    return tuple(Question(**item) for item in json.loads(text)["questions"])


def lessons() -> list[str]:
    """The lessons that have questions (``"01"`` …), in order."""
    return sorted({q.lesson for q in questions()})


def for_lesson(lesson: str | int) -> list[Question]:
    """The questions of one lesson (``"04"``, ``"4"`` or ``4``)."""
    number = str(lesson).strip().zfill(2)
    found = [q for q in questions() if q.lesson == number]
    if not found:
        raise QuizError(f"There are no practice questions for lesson {lesson!r}: use one of "
                        f"{', '.join(lessons())}.")
    return found


def find(question_id: str) -> Question:
    """The question ``"NN-k"``; QuizError naming the lesson's ids if there is none."""
    for q in questions():
        if q.id == str(question_id).strip():
            return q
    lesson = str(question_id).split("-")[0].strip()
    ids = [q.id for q in questions() if q.lesson == lesson.zfill(2)]
    hint = f"lesson {lesson.zfill(2)} has {', '.join(ids)}" if ids else \
        "ids look like \"04-2\" (lesson 04, question 2)"
    raise QuizError(f"There is no question {question_id!r}: {hint}.")


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "   ")


def render(lesson: str | int) -> str:
    """The questions of a lesson as text: scenario and options, no answers."""
    blocks = []
    for q in for_lesson(lesson):
        lines = [_wrap(f"{q.id} · {q.question}", "")]
        lines += [_wrap(f"{letter}) {q.options[letter]}", "   ") for letter in LETTERS]
        blocks.append("\n".join(lines))
    first = for_lesson(lesson)[0].id
    blocks.append(_wrap(f'Answer in a cell: labsupport.quiz.answer("{first}", "a") — it says '
                        "whether you are right, why, and where the lesson or Microsoft's docs "
                        "show it.", ""))
    return "\n\n".join(blocks)


def show(lesson: str | int) -> None:
    """Print the lesson's questions (never the answers)."""
    print(render(lesson))


def verdict(question_id: str, choice: str) -> tuple[bool, str]:
    """(right?, the explanation) for ``choice`` on a question."""
    q = find(question_id)
    letter = str(choice).strip().lower().rstrip(")")
    if letter not in LETTERS:
        raise QuizError(f"{choice!r} is not an option of {q.id}: answer with one letter, "
                        f"a, b, c or d.")
    right = letter == q.answer
    head = "Right." if right else "Not this one — try another option."
    text = "\n".join([f"{q.id} · {letter}) {q.options[letter]}",
                      _wrap(f"{head} {q.why[letter]}", ""),
                      _wrap(f"Source: {q.source}", "")])
    return right, text


def answer(question_id: str, choice: str) -> None:
    """Check ``choice`` (a–d) for question ``"NN-k"`` and print why, with the source."""
    print(verdict(question_id, choice)[1])
