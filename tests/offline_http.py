"""Offline HTTP for tests: a requests transport whose answers a test scripts.

What crossed the wire is then exactly what the test says, with no network and no service.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import requests
import urllib3
from azure.core.pipeline.transport import RequestsTransport

#: answer(request) -> (status, body, headers)
Answer = Callable[[requests.PreparedRequest], tuple[int, bytes, dict[str, str]]]


class Scripted(requests.adapters.HTTPAdapter):
    """Answers each request with ``answer(request)`` and keeps the requests it was sent."""

    def __init__(self, answer: Answer):
        super().__init__()
        self.answer = answer
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        status, body, headers = self.answer(request)
        raw = urllib3.HTTPResponse(body=io.BytesIO(body), status=status, preload_content=False,
                                   headers={"Content-Length": str(len(body)), **headers})
        return self.build_response(request, raw)


def scripted_transport(answer: Answer) -> tuple[RequestsTransport, Scripted]:
    """An azure-core transport (pass it as ``transport=``) and the adapter behind it."""
    adapter = Scripted(answer)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=False), adapter


def in_turn(*answers: tuple[int, bytes, dict[str, str]]) -> Answer:
    """An answer function that gives ``answers`` one after the other (the last one repeats)."""
    remaining = list(answers)

    def answer(request):
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return answer
