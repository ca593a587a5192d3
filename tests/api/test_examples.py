"""The example requests are generated from the OpenAPI and committed; they must be current
and chain the message id and pop receipt from earlier responses."""

from __future__ import annotations

import json

import pytest

from labsupport.api import examples


@pytest.fixture(scope="module")
def document():
    return examples.openapi_document()


def test_committed_examples_are_current():
    stale = examples.stale()
    assert stale == [], (f"out of date: {[p.name for p in stale]}; "
                         f"run `python -m labsupport.api.examples` and commit the result")


def test_every_operation_has_an_example_step(document):
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert len(examples.steps(document)) == len(operations)
    assert [s.number for s in examples.steps(document)] == list(range(1, len(operations) + 1))


def test_postman_collection_is_v2_1_with_variables(document):
    collection = examples.postman_collection(document)
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    assert [v["key"] for v in collection["variable"]] == ["baseUrl", "messageId", "popReceipt"]
    for item in collection["item"]:
        assert item["request"]["url"]["raw"].startswith("{{baseUrl}}/")
        assert item["event"][0]["listen"] == "test"


def test_postman_receive_captures_and_delete_uses_the_variables(document):
    items = {i["name"].split(" · ", 1)[1]: i for i in
             examples.postman_collection(document)["item"]}
    script = "\n".join(items["Receive (lease) messages"]["event"][0]["script"]["exec"])
    assert 'pm.collectionVariables.set("popReceipt", popReceipt)' in script
    assert 'pick(body, [0, "pop_receipt"])' in script
    delete = items["Delete the message"]["request"]["url"]["raw"]
    assert delete == "{{baseUrl}}/queue/messages/{{messageId}}?pop_receipt={{popReceipt}}"
    update = json.loads(items["Update the leased message"]["request"]["body"]["raw"])
    assert update["pop_receipt"] == "{{popReceipt}}"


def test_http_file_reuses_earlier_responses(document):
    text = examples.http_file(document)
    assert "@baseUrl = http://127.0.0.1:8000" in text
    assert "# @name receive_messages" in text
    assert ("DELETE {{baseUrl}}/queue/messages/{{receive_messages.response.body.$[0].id}}"
            "?pop_receipt={{update_message.response.body.$.pop_receipt}}") in text


def test_the_walk_through_names_each_route_once(document):
    names = [example.route for example in examples.WALKTHROUGH]
    assert sorted(names) == sorted(examples.operations(document))
    assert [step.name for step in examples.steps(document)] == names


def test_the_examples_do_not_depend_on_the_order_of_the_routes(document):
    """Requests name routes: the app may list its paths in any order."""
    shuffled = dict(document, paths=dict(reversed(list(document["paths"].items()))))
    assert examples.steps(shuffled) == examples.steps(document)


def test_a_walk_through_that_names_a_missing_route_says_which(document, monkeypatch):
    monkeypatch.setattr(examples, "WALKTHROUGH", (
        *examples.WALKTHROUGH, examples.Example("purge_everything", "Not a route")))
    with pytest.raises(LookupError, match=r"\['purge_everything'\]"):
        examples.steps(document)


def test_the_openapi_carries_no_walk_through(document):
    """The order of the examples is the examples' business, not the API's contract."""
    assert not [op for ops in document["paths"].values() for op in ops.values()
                if any(key.startswith("x-") for key in op)]
