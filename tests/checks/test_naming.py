"""Check for 03: a queue-name rule, judged against what the service answers.

Each test passes the learner's function and the lab account's ``QueueServiceClient``, as
the notebook does; the check asks the local cloud about every name.
"""

from __future__ import annotations

import random
import re
import string

import pytest

from labsupport.checks import naming
from labsupport.checks.naming import CHECK_METADATA, ask_service, cases, check_queue_names
from labsupport.queue_names import MAX_LENGTH, is_queue_name


def notebook_solution(name: str) -> bool:
    """The notebook's solution: each rule of the Learn page as one condition."""
    allowed = set(string.ascii_lowercase + string.digits + "-")
    return (3 <= len(name) <= 63 and set(name) <= allowed
            and not name.startswith("-") and not name.endswith("-") and "--" not in name)


def names_left(service, prefix: str) -> list[str]:
    return [q.name for q in service.list_queues(name_starts_with=prefix)]


# --- right: the notebook's solution, and a different one --------------------------------------

def test_the_notebook_solution_passes_and_leaves_no_queue(service, capsys):
    assert check_queue_names(notebook_solution, service)
    count = len(cases())
    assert capsys.readouterr().out == (
        f"✅ your rule agrees with the service on all {count} names: 5 taken, "
        f"{count - 5} refused.\n")
    assert names_left(service, "names-") == [] and names_left(service, "orders") == []


def test_a_different_right_solution_a_regular_expression_passes(service):
    result = check_queue_names(lambda name: bool(
        re.fullmatch(r"(?=.{3,63}\Z)[a-z0-9]+(-[a-z0-9]+)*", name)), service)
    assert result, result.problems


def test_the_labs_own_rule_agrees_with_the_service(service):
    result = check_queue_names(is_queue_name, service)
    assert result, result.problems


# --- wrong: each names what the service says instead --------------------------------------

def test_a_rule_that_allows_uppercase_is_refused(service):
    result = check_queue_names(lambda name: notebook_solution(name.lower()), service)
    assert result.problems == [
        "'Orders-names' (an uppercase letter): your function says valid, the service refused "
        "it (400 InvalidResourceName)"]


def test_a_rule_that_allows_two_hyphens_in_a_row_is_refused(service):
    def no_double_check(name):
        return (3 <= len(name) <= 63 and set(name) <= set(string.ascii_lowercase
                                                          + string.digits + "-")
                and name[0] != "-" and name[-1] != "-")

    result = check_queue_names(no_double_check, service)
    assert result.problems == [
        "'orders--names' (two hyphens in a row): your function says valid, the service "
        "refused it (400 InvalidResourceName)"]


def test_the_notebooks_starting_point_length_only_gets_every_character_rule(service):
    result = check_queue_names(lambda name: 3 <= len(name) <= 63, service)
    assert [p.split(" (")[0] for p in result.problems] == [
        "'Orders-names'", "'orders--names'", "'-orders-names'", "'orders-names-'",
        "'orders_names'", "'orders.names'", "'ordérs-names'"]


def test_a_rule_that_is_too_strict_says_which_valid_name_the_service_took(service):
    result = check_queue_names(lambda name: notebook_solution(name) and name[0].isalpha(),
                               service)
    assert len(result.problems) >= 1
    assert all("your function says invalid, the service took it" in p
               for p in result.problems)
    assert any("(starts with a digit)" in p for p in result.problems)


def test_a_length_off_by_one_is_refused_with_the_services_code(service):
    result = check_queue_names(lambda name: notebook_solution(name[:63]), service)
    assert result.problems == [
        f"'{'n' * (MAX_LENGTH + 1)}' ({MAX_LENGTH + 1} characters): your function says valid, "
        f"the service refused it (400 OutOfRangeInput)"]


def test_a_function_that_raises_is_reported_and_nothing_is_created(service, monkeypatch):
    asked = []
    monkeypatch.setattr(naming, "ask_service", lambda *a: asked.append(a))
    result = check_queue_names(lambda name: name.index("q") > 0, service)
    assert result.problems and result.problems[0].startswith(
        "your function raised ValueError for ")
    assert asked == []


def test_something_that_is_not_a_function(service):
    result = check_queue_names(True, service)
    assert result.problems == ["`is_valid_queue_name` should be a function that takes a name "
                               "and returns True or False"]


# --- the names and the service's answers --------------------------------------------------

def test_the_cases_cover_each_rule_and_are_valid_exactly_where_the_docs_say():
    checked = cases("abc123", random.Random(3))
    assert len({c.name for c in checked}) == len(checked)
    assert [is_queue_name(c.name) for c in checked] == [True] * 5 + [False] * 9
    assert {len(c.name) for c in checked} >= {2, 3, MAX_LENGTH, MAX_LENGTH + 1}
    assert not any("|" in c.name for c in checked)


def test_a_queue_left_by_an_interrupted_check_is_taken_and_deleted(service):
    name = cases()[0].name
    service.create_queue(name, metadata=CHECK_METADATA)
    answer = ask_service(service, name)
    assert (answer.taken, answer.detail) == (True, "204 QueueAlreadyExists")
    assert names_left(service, name) == []


def test_someone_elses_queue_is_taken_and_left_alone(service):
    name = cases()[0].name
    service.create_queue(name, metadata={"owner": "someone"})
    try:
        answer = ask_service(service, name)
        assert answer.taken and answer.detail.startswith("409")
        assert names_left(service, name) == [name]
    finally:
        service.delete_queue(name)


@pytest.mark.parametrize("name, code", [("ab", "OutOfRangeInput"),
                                        ("Orders-names", "InvalidResourceName")])
def test_a_refused_name_reads_the_services_code(service, name, code):
    assert ask_service(service, name) == naming.Answer(False, f"400 {code}")
