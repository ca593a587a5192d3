"""Run code in a kernel of a learner's server, through the hub's proxy, as a browser does.

The Jupyter Server REST API starts the kernel (``POST /user/<name>/api/kernels``) and its
websocket carries the messaging protocol's ``execute_request`` / replies
(https://jupyter-client.readthedocs.io/en/stable/messaging.html). The hub's tests and the
room test (classroom/room_test.py) use it with an API token the hub accepts for that server.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


class CellFailed(RuntimeError):
    """A cell raised: its error name, value and the code's first line."""


@dataclass
class RemoteKernel:
    base: str          # the hub's URL, e.g. http://127.0.0.1:8800
    user: str
    token: str
    kernel_id: str = ""
    session: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def api(self) -> str:
        return f"{self.base}/user/{self.user}/api"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def start(self, path: str = "") -> RemoteKernel:
        answer = requests.post(f"{self.api}/kernels", headers=self.headers,
                               json={"name": "python3", "path": path}, timeout=120)
        answer.raise_for_status()
        self.kernel_id = answer.json()["id"]
        return self

    def shutdown(self) -> None:
        if self.kernel_id:
            requests.delete(f"{self.api}/kernels/{self.kernel_id}", headers=self.headers,
                            timeout=60)
            self.kernel_id = ""

    def run(self, cells: list[str], timeout: float = 300) -> list[str]:
        """Execute ``cells`` in order; return each one's text output. Raises CellFailed."""
        return asyncio.run(self._run(cells, timeout))

    async def _run(self, cells: list[str], timeout: float) -> list[str]:
        url = f"{self.api}/kernels/{self.kernel_id}/channels".replace("http", "ws", 1)
        socket = await websocket_connect(HTTPRequest(url, headers=self.headers,
                                                     request_timeout=timeout))
        try:
            return [await asyncio.wait_for(self._cell(socket, code), timeout)
                    for code in cells]
        finally:
            socket.close()

    async def _cell(self, socket, code: str) -> str:
        msg_id = uuid.uuid4().hex
        socket.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": self.user, "session": self.session,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False,
                        "stop_on_error": True},
        }))
        text, error, replied, idle = [], None, False, False
        while not (replied and idle):
            raw = await socket.read_message()
            if raw is None:
                raise CellFailed("the kernel's websocket closed (the server stopped?)")
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                text.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "execute_reply":
                replied = True
                if content["status"] != "ok" and error is None:
                    error = f"{content.get('ename')}: {content.get('evalue')}"
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        if error:
            first = code.strip().splitlines()[0] if code.strip() else ""
            raise CellFailed(f"{error} (in the cell starting {first!r})")
        return "".join(text)
