"""The "Your turn" check of lesson 11: host.json for a slow downstream (limit 4, 3 tries)."""

from __future__ import annotations

import pytest

from labsupport.checks.functions import check_slow_downstream


def host_json(**queues) -> dict:
    return {"version": "2.0", "extensions": {"queues": queues}}


def scratch_queues(service) -> set[str]:
    return {q.name for q in service.list_queues(name_starts_with="functions-check")}


@pytest.fixture
def check(service, function_app):
    before = scratch_queues(service)

    def run(settings):
        return check_slow_downstream(settings, service, function_app.process_order)

    yield run
    assert scratch_queues(service) == before, "the check deletes the queues it made"


def test_the_starting_point_is_rejected_for_both_reasons(check, capsys):
    result = check(host_json(batchSize=4))
    assert not result
    assert len(result.problems) == 2
    assert "got up to 6 orders at once; it takes at most 4" in result.problems[0]
    assert "newBatchThreshold defaults to batchSize/2" in result.problems[0]
    assert "tried 5 times" in result.problems[1]
    assert "Not yet" in capsys.readouterr().out


def test_a_large_threshold_is_rejected_even_with_a_batch_of_one(check):
    result = check(host_json(batchSize=1, newBatchThreshold=4, maxDequeueCount=3))
    assert result.problems == [
        "the downstream got up to 5 orders at once; it takes at most 4: one instance runs up "
        "to batchSize + newBatchThreshold messages at once (yours: 1 + 4)"]


def test_retrying_forever_is_rejected(check):
    result = check(host_json(batchSize=2, newBatchThreshold=2, maxDequeueCount=4))
    assert [p for p in result.problems if "tried 4 times" in p], result.problems
    assert len(result.problems) == 1


def test_a_base64_producer_with_message_encoding_none_ships_nothing(check):
    result = check(host_json(batchSize=2, newBatchThreshold=2, maxDequeueCount=3,
                             messageEncoding="none"))
    assert any(p.startswith("none of the 12 good orders shipped") and "keep messageEncoding"
               in p for p in result.problems), result.problems


def test_the_solution_is_accepted(check, capsys):
    result = check(host_json(batchSize=2, newBatchThreshold=2, maxDequeueCount=3))
    assert result, result.problems
    assert "never had more than 4 orders at once" in capsys.readouterr().out


def test_a_different_right_answer_is_accepted_too(check, capsys):
    result = check(host_json(batchSize=4, newBatchThreshold=0, maxDequeueCount=3,
                             visibilityTimeout="00:00:02"))
    assert result, result.problems
    out = capsys.readouterr().out
    assert "waited 1 s between retries instead of your visibilityTimeout of 2 s" in out


def test_fewer_than_allowed_is_accepted_with_a_note(check, capsys):
    result = check(host_json(batchSize=1, newBatchThreshold=0, maxDequeueCount=3))
    assert result, result.problems
    assert "batchSize + newBatchThreshold = 1: the downstream could take 4" in (
        capsys.readouterr().out)


def test_an_invalid_host_json_gets_its_one_sentence(service, function_app):
    result = check_slow_downstream(host_json(batchSize=64), service, function_app.process_order)
    assert result.problems == [
        "host.json: extensions.queues.batchSize must be a whole number from 1 to 32, not 64 "
        "(see https://learn.microsoft.com/azure/azure-functions/"
        "functions-bindings-storage-queue#host-json)."]
    result = check_slow_downstream(host_json(maxDequeueCount=0), service,
                                   function_app.process_order)
    assert "maxDequeueCount must be a whole number of at least 1, not 0" in result.problems[0]
