"""Typed payloads: one-line reasons, and an unreadable message moved aside intact."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from labsupport.patterns.poison import move_to_poison
from labsupport.patterns.typed_messages import UnreadableMessage, parse


class PersonV1(BaseModel):
    version: Literal[1] = 1
    name: str
    faction: str
    hates: str


class PersonV2(BaseModel):
    version: Literal[2] = 2
    name: str
    faction: str
    hates: list[str]


Person = Annotated[PersonV1 | PersonV2, Field(discriminator="version")]

V1 = '{"version": 1, "name": "C. Vector", "faction": "Brotherhood of Lube", "hates": "rust"}'
V2 = '{"version": 2, "name": "Ada", "faction": "Engines", "hates": ["bugs", "rust"]}'


def test_each_version_parses_to_its_model():
    assert parse(V1, Person) == PersonV1(name="C. Vector", faction="Brotherhood of Lube",
                                         hates="rust")
    assert parse(V2.encode(), Person).hates == ["bugs", "rust"]


def test_a_single_model_works_as_a_schema():
    assert parse(V1, PersonV1).name == "C. Vector"


@pytest.mark.parametrize(("text", "reason"), [
    ("Ada, Engines", "not JSON (expected value at line 1 column 1)"),
    ('{"version": 3, "name": "Ada"}',
     "version 3 is not one this consumer reads (it reads 1, 2)"),
    ('{"name": "Ada"}', "no 'version' field"),
    ('{"version": 1, "name": "Ada"}', "faction: Field required; hates: Field required"),
    ('{"version": 2, "name": "Ada", "faction": "E", "hates": "bugs"}',
     "hates: Input should be a valid array"),
])
def test_an_unreadable_message_gets_a_one_line_reason(text, reason):
    with pytest.raises(UnreadableMessage) as caught:
        parse(text, Person)
    assert caught.value.reason == reason
    assert str(caught.value) == reason


def test_unreadable_message_is_a_value_error():
    assert issubclass(UnreadableMessage, ValueError)


def test_a_consumer_handles_what_parses_and_moves_the_rest_aside_intact(queues):
    queue, poison = queues
    bad = ["Ada, Engines", '{"version": 3, "name": "Ada"}', '{"version": 1, "name": "Ada"}']
    for text in [V1, *bad, V2]:
        queue.send_message(text)

    handled, moved = [], []
    for message in queue.receive_messages(max_messages=8, messages_per_page=8):
        try:
            person = parse(message.content, Person)
        except UnreadableMessage as error:
            move_to_poison(queue, message, poison)
            moved.append(error.reason)
            continue
        handled.append(person.name)
        queue.delete_message(message)

    assert sorted(handled) == ["Ada", "C. Vector"]
    assert len(moved) == 3
    assert sorted(m.content for m in poison.peek_messages(max_messages=32)) == sorted(bad)
    assert queue.get_queue_properties().approximate_message_count == 0
