"""Request bodies the queue can carry: strict JSON in, message text XML can carry out.

* :class:`StrictJsonRoute` parses JSON bodies as RFC 8259 defines JSON: UTF-8 (a byte
  order mark is ignored) and no ``NaN`` or ``Infinity``, which Python's parser accepts but
  which are not JSON (stored, they came back as ``null``). A body that breaks a rule is a
  422 whose problem names the byte, the constant, or the line and column.
* :func:`message_text` turns a message into the compact JSON text the queue stores, and
  refuses text XML 1.0 cannot carry (the queue's REST API sends messages in an XML body):
  JSON escapes control characters, but a lone surrogate or U+FFFE/U+FFFF would travel as
  they are. Azurite stores such a message and then fails every read of the queue; Azure
  refuses it. The 422 names each character, its position and the field that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

from ..payloads import describe_characters, xml_unsafe_characters

MAX_FIELDS_REPORTED = 10  # a 422 names at most this many fields


class _Refused(json.JSONDecodeError):
    """A body that Python's parser would take but JSON does not allow."""


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity): send a "
                   f"number, a string or null", "", 0)


def parse_json(data: bytes) -> Any:
    """The JSON value of a request body, or a ``JSONDecodeError`` whose ``msg`` says why not.

    FastAPI turns that error into a 422 (``json_invalid``); :mod:`.errors` shows the ``msg``.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(
            f"not UTF-8 text: byte 0x{data[error.start]:02X} at position {error.start} (JSON "
            f"must be UTF-8)", data.decode("utf-8", "replace"), error.start) from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except _Refused:
        raise
    except json.JSONDecodeError as error:
        raise json.JSONDecodeError(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
            error.doc, error.pos) from None


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` whose handler reads JSON bodies with :func:`parse_json`."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def strict_handler(request: Request):
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler


def encode(content: Any) -> str:
    """Message text for the queue: compact JSON."""
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="json")
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False)


def _travels_raw(character: str) -> bool:
    """True if JSON writes ``character`` as it is (it escapes control characters)."""
    return json.dumps(character, ensure_ascii=False)[1:-1] == character


def _unsafe(text: str) -> list[tuple[int, str]]:
    return [(i, c) for i, c in xml_unsafe_characters(text) if _travels_raw(c)]


def _problems(value: Any, location: tuple) -> Iterator[dict]:
    """Validation errors for each string in ``value`` that XML cannot carry, with its field."""
    if isinstance(value, str):
        found = _unsafe(value)
        if found:
            yield {"loc": location, "type": "value_error", "msg": _sentence(found)}
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _unsafe(str(key))
            if found:
                yield {"loc": location, "type": "value_error",
                       "msg": _sentence(found, "a key holds ")}
            yield from _problems(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _problems(item, (*location, index))


def _sentence(found: list[tuple[int, str]], subject: str = "") -> str:
    them = "it" if len(found) == 1 else "them"
    which = ", which" if subject else ""
    return (f"{subject}{describe_characters(found)}{which} cannot travel in a queue message "
            f"(XML 1.0, which carries it, does not allow {them}): remove {them}, or "
            f"base64-encode binary data")


def message_text(content: Any, location: tuple = ("body",)) -> str:
    """The text to store for ``content``; a 422 naming every field XML could not carry."""
    text = encode(content)
    if not _unsafe(text):
        return text
    if isinstance(content, BaseModel):
        content = content.model_dump(mode="json")
    problems = []
    for problem in _problems(content, location):
        problems.append(problem)
        if len(problems) == MAX_FIELDS_REPORTED:
            break
    raise RequestValidationError(problems)
