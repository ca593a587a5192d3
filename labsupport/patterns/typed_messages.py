"""Typed payloads: parse a message against a schema, or say in one line why it cannot be.

A queue carries text; a consumer that trusts it blindly fails deep inside its work, or
worse, half-way. Parse first, against a schema with a ``version`` field (a pydantic model,
or a union of models told apart by ``version``). A message that cannot be parsed now will
not parse on the next try either: move it aside at once, content intact, instead of
retrying it or dropping it::

    try:
        person = parse(message.content, Person)
    except UnreadableMessage as error:
        move_to_poison(queue, message, poison_queue)    # labsupport.patterns.poison
        log.warning("moved aside: %s", error.reason)
"""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError


class UnreadableMessage(ValueError):
    """A message that does not match the schema; ``reason`` says why in one line."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _where(location: tuple) -> str:
    # A discriminated union puts the tag (e.g. 1) first: the field is what follows.
    parts = location[1:] if len(location) > 1 and isinstance(location[0], int) else location
    return ".".join(str(part) for part in parts) or "message"


def explain(error: ValidationError) -> str:
    """One line for a pydantic ``ValidationError``, e.g. ``"faction: Field required"``."""
    reasons = []
    for problem in error.errors(include_url=False):
        kind, context = problem["type"], problem.get("ctx") or {}
        if kind == "json_invalid":
            reasons.append(f"not JSON ({context.get('error', problem['msg'])})")
        elif kind == "union_tag_invalid":
            reasons.append(f"{context['discriminator'].strip(chr(39))} {context['tag']} is not "
                           f"one this consumer reads (it reads {context['expected_tags']})")
        elif kind == "union_tag_not_found":
            reasons.append(f"no {context['discriminator']} field")
        else:
            reasons.append(f"{_where(problem['loc'])}: {problem['msg']}")
    return "; ".join(reasons)


def parse(content: str | bytes, schema):
    """Validate JSON ``content`` against ``schema`` (a pydantic model or an annotated union).

    Returns the model instance; raises :class:`UnreadableMessage` with a one-line reason.
    """
    try:
        return TypeAdapter(schema).validate_json(content)
    except ValidationError as error:
        raise UnreadableMessage(explain(error)) from None
