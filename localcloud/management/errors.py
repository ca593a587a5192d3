"""ARM error responses: ``{"error": {"code": ..., "message": ...}}`` with Azure's status codes.

The helpers below build the errors Azure returns for the common cases, with its codes
and (where known) its messages, so code written against the local cloud handles Azure.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ArmError(Exception):
    """Raised by a handler; rendered as ARM's error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def response(self, head: bool = False) -> Response:
        if head:  # HEAD answers carry no body
            return Response(status_code=self.status, headers=self.headers)
        body = {"error": {"code": self.code, "message": self.message}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def quote(value: object, limit: int = 40) -> str:
    """A value for an error message, cut short: errors never echo megabytes back."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def resource_group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def resource_not_found(resource_type: str, name: str, resource_group: str) -> ArmError:
    return ArmError(
        404, "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was "
        f"not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def account_not_found(name: str, resource_group: str) -> ArmError:
    return resource_not_found("Microsoft.Storage/storageAccounts", name, resource_group)


def invalid_content(detail: str) -> ArmError:
    return ArmError(400, "InvalidRequestContent",
                    f"The request content was invalid and could not be deserialized: {detail}")


def no_route(request: Request) -> ArmError:
    return ArmError(404, "NoRegisteredProviderFound" if "/providers/" in request.url.path
                    else "NotFound",
                    f"The local management plane has no route for {request.method} "
                    f"{request.url.path}. It implements resource groups, storage accounts, "
                    f"queues, role assignments and built-in role definitions (see "
                    f"localcloud/management).")
