"""ARM error responses: ``{"error": {"code": ..., "message": ...}}`` with Azure's status codes."""

from __future__ import annotations

from starlette.responses import JSONResponse


class ArmError(Exception):
    """Raised by a handler; rendered as ARM's error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"error": {"code": self.code, "message": self.message}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)
