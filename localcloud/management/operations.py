"""Long-running operations: ARM's 202 + ``Location`` contract, served from asyncio tasks.

A handler starts the work with :meth:`Operations.start` and answers 202 with a Location
URL; polling that URL answers 202 (with ``Retry-After``) while the task runs, then 200
with the task's result. The SDK polls once right after the 202, so fast work (an account
change in Azurite, well under a second) completes in that first poll, without the SDK's default
30-second wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.responses import JSONResponse, Response

from .errors import ArmError, InternalServerError, OperationNotFound

log = logging.getLogger("localcloud.management")
POLL_WAIT = 10.0  # seconds a poll waits for the work before answering 202 again
KEEP = 3600.0  # seconds a finished operation can still be polled


@dataclass
class Operation:
    """A long-running operation: its id (in the Location URL), the resource it works on,
    the task doing the work, and when it finished."""

    id: str
    target: str  # a resource id, lowercased
    task: asyncio.Task
    finished_at: float | None = None


class Operations:
    """Running and recently finished operations of this process (not persisted)."""

    def __init__(self):
        self._operations: dict[str, Operation] = {}
        self._by_target: dict[str, Operation] = {}

    def start(self, work: Callable[[], Awaitable[dict | None]], target: str) -> str:
        """Run ``work`` on ``target`` (a resource id); return the operation id.

        ``work`` returns the body of the final 200, or None for an empty one.
        """
        self._forget_old()
        operation_id = str(uuid.uuid4())
        operation = Operation(operation_id, target.lower(), asyncio.create_task(work()))
        self._by_target[operation.target] = operation

        def finished(task: asyncio.Task) -> None:
            operation.finished_at = time.time()
            if not task.cancelled() and task.exception() is not None:
                log.warning("operation %s failed: %s", operation_id, task.exception())

        operation.task.add_done_callback(finished)
        self._operations[operation_id] = operation
        return operation_id

    async def settle(self, target: str, timeout: float = 30.0) -> None:
        """Wait (bounded) for the running operation on ``target``, if any; never raises."""
        operation = self._by_target.get(target.lower())
        if operation is not None and not operation.task.done():
            await asyncio.wait({operation.task}, timeout=timeout)

    async def poll(self, operation_id: str, location: str) -> Response:
        """ARM's answer to a poll of ``location``: 202 while running, then the result."""
        operation = self._operations.get(operation_id)
        if operation is None:
            raise OperationNotFound(
                f"The operation '{operation_id}' was not found. Operations are kept "
                f"for an hour and do not survive a restart of the local cloud.")
        done, _ = await asyncio.wait({operation.task}, timeout=POLL_WAIT)
        if not done:
            return accepted(location, retry_after=1)
        error = operation.task.exception()
        if isinstance(error, ArmError):
            raise error
        if error is not None:
            raise InternalServerError(f"The operation failed: {error}. See the local cloud's log "
                                      f"(logs/localcloud.log in the state folder).")
        result = operation.task.result()
        return JSONResponse(result) if result is not None else Response(status_code=200)

    def _forget_old(self) -> None:
        now = time.time()
        for key, operation in list(self._operations.items()):
            if operation.finished_at is not None and now - operation.finished_at > KEEP:
                del self._operations[key]
        for key, operation in list(self._by_target.items()):
            if operation.task.done():
                del self._by_target[key]


def accepted(location: str, retry_after: int = 0) -> Response:
    """ARM's 202 for a long-running operation."""
    return Response(status_code=202,
                    headers={"Location": location, "Retry-After": str(retry_after)})
