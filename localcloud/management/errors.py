"""ARM error responses: ``{"error": {"code": ..., "message": ...}}`` with Azure's status codes.

One class per ARM error code, each with the code and the status Azure answers it with, so
a handler raises ``InvalidTags("...")`` and never spells a code or a status itself. Where
Azure's message is always the same, or always the same sentence around a detail, the class
writes it. A code Azure answers with two statuses has a second class named for the case
(:class:`RoleDefinitionInRequestDoesNotExist`, :class:`NoRegisteredProviderForPath`).
tests/local_cloud/test_management_error_classes.py holds the handlers to these classes.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class ArmError(Exception):
    """Raised by a handler; rendered as ARM's error body with the class's status and code."""

    status = 500
    code = "InternalServerError"

    def __init__(self, message: str, headers: dict | None = None):
        super().__init__(message)
        self.message = message
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


def _error(code: str, status: int, doc: str) -> type[ArmError]:
    return type(code, (ArmError,), {"code": code, "status": status, "__doc__": doc,
                                    "__module__": __name__})


# ------------------------------------------------------- 400: the request is wrong
class InvalidValuesForRequestParameters(ArmError):
    status, code = 400, "InvalidValuesForRequestParameters"

    def __init__(self, detail: str):
        super().__init__(f"Values for request parameters are invalid: {detail}")


class InvalidRequestContent(ArmError):
    status, code = 400, "InvalidRequestContent"

    def __init__(self, detail: str):
        super().__init__(
            f"The request content was invalid and could not be deserialized: {detail}")


AccountNameInvalid = _error("AccountNameInvalid", 400, "A bad storage account name.")
# Microsoft.Insights answers a request it understands but refuses with this code, e.g.
# "Category 'WorkflowRuntime' is not supported." (MicrosoftDocs/azure-docs#42493) or
# "Metric category 'AllMetrics' is not supported." (Azure/azure-powershell#6520).
BadRequest = _error("BadRequest", 400, "A Microsoft.Insights request it refuses.")
InvalidApiVersionParameter = _error("InvalidApiVersionParameter", 400,
                                    "An api-version Microsoft.Resources does not serve.")
InvalidFilterInQueryString = _error("InvalidFilterInQueryString", 400, "A $filter not served.")
InvalidPrincipalId = _error("InvalidPrincipalId", 400, "A role assignment without a principal.")
InvalidResourceGroup = _error("InvalidResourceGroup", 400, "A bad resource group name.")
InvalidResourceName = _error("InvalidResourceName", 400, "A queue name with invalid characters.")
InvalidRoleAssignmentId = _error("InvalidRoleAssignmentId", 400, "An assignment name, no GUID.")
InvalidRoleDefinitionId = _error("InvalidRoleDefinitionId", 400, "A malformed role definition id.")
InvalidSubscriptionId = _error("InvalidSubscriptionId", 400, "A malformed subscription id.")
InvalidTagName = _error("InvalidTagName", 400, "An empty or too long tag name.")
InvalidTagNameCharacters = _error("InvalidTagNameCharacters", 400, "Reserved tag-name characters.")
InvalidTagValueLength = _error("InvalidTagValueLength", 400, "A too long tag value.")
InvalidTags = _error("InvalidTags", 400, "Too many tags.")
InvalidTopInQueryString = _error("InvalidTopInQueryString", 400, "A $top that is not a count.")
LocationNotAvailableForResourceGroup = _error(
    "LocationNotAvailableForResourceGroup", 400, "A resource group location that is no region.")
LocationNotAvailableForResourceType = _error(
    "LocationNotAvailableForResourceType", 400, "A resource location that is no region.")
LocationRequired = _error("LocationRequired", 400, "A create without a location.")
MissingApiVersionParameter = _error("MissingApiVersionParameter", 400, "No api-version.")
NoRegisteredProviderFound = _error("NoRegisteredProviderFound", 400,
                                   "An api-version the resource provider does not serve.")
OutOfRangeInput = _error("OutOfRangeInput", 400, "A queue name of the wrong length.")
RedundancyConfigurationNotAvailableInRegion = _error(
    "RedundancyConfigurationNotAvailableInRegion", 400,
    "A geo-redundant SKU in a region without a pair.")
RoleAssignmentUpdateNotPermitted = _error("RoleAssignmentUpdateNotPermitted", 400,
                                          "A role assignment PUT that changes who or where.")
UnsupportedQuery = _error("UnsupportedQuery", 400, "A role $filter not served.")


class RoleDefinitionDoesNotExist(ArmError):
    """A role definition id that names no built-in role (GET: 404)."""

    status, code = 404, "RoleDefinitionDoesNotExist"

    def __init__(self, guid: str):
        super().__init__(f"The specified role definition with ID '{guid}' does not exist.")


class RoleDefinitionInRequestDoesNotExist(RoleDefinitionDoesNotExist):
    """The same, named in a role assignment's body: Azure answers 400."""

    status = 400


# ------------------------------------------------------------- 401: who is asking
AuthenticationFailed = _error("AuthenticationFailed", 401, "No bearer token.")
InvalidAuthenticationToken = _error("InvalidAuthenticationToken", 401, "A token refused.")


# ------------------------------------------------------------------ 404: not found
class NotFound(ArmError):
    """A path no route serves."""

    status, code = 404, "NotFound"


class NoRegisteredProviderForPath(NotFound):
    """A path under ``/providers/`` no route serves: ARM's code, with 404."""

    code = "NoRegisteredProviderFound"


class ResourceGroupNotFound(ArmError):
    status, code = 404, "ResourceGroupNotFound"

    def __init__(self, name: str):
        super().__init__(f"Resource group '{name}' could not be found.")


class ResourceNotFound(ArmError):
    status, code = 404, "ResourceNotFound"

    def __init__(self, resource_type: str, name: str, resource_group: str):
        super().__init__(
            f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' "
            f"was not found. For more details please go to "
            f"https://aka.ms/ARMResourceNotFoundFix")


class QueueNotFound(ArmError):
    status, code = 404, "QueueNotFound"

    def __init__(self):
        super().__init__("The specified queue does not exist.")


class RoleAssignmentNotFound(ArmError):
    status, code = 404, "RoleAssignmentNotFound"

    def __init__(self, name: str):
        super().__init__(f"The role assignment '{name}' is not found.")


OperationNotFound = _error("OperationNotFound", 404, "A poll of an operation no longer kept.")


# ----------------------------------------------------------- 405, 409, 413, 500
MethodNotAllowed = _error("MethodNotAllowed", 405, "A method the path does not serve.")
InvalidResourceGroupLocation = _error("InvalidResourceGroupLocation", 409,
                                      "A resource group PUT that moves it.")
InvalidResourceLocation = _error("InvalidResourceLocation", 409, "An account PUT that moves it.")
ResourceGroupBeingDeleted = _error("ResourceGroupBeingDeleted", 409,
                                   "A change to a group being deleted.")
RoleAssignmentExists = _error("RoleAssignmentExists", 409,
                              "The same role, principal and scope under another name.")
StorageAccountAlreadyTaken = _error("StorageAccountAlreadyTaken", 409,
                                    "An account name another subscription holds.")
StorageAccountInAnotherResourceGroup = _error("StorageAccountInAnotherResourceGroup", 409,
                                              "An account name another group holds.")


class StorageAccountIsNotProvisioned(ArmError):
    status, code = 409, "StorageAccountIsNotProvisioned"

    def __init__(self):
        super().__init__("The storage account provisioning state must be 'Succeeded' before "
                         "executing the operation.")


class RequestContentTooLarge(ArmError):
    status, code = 413, "RequestContentTooLarge"

    def __init__(self):
        super().__init__("The request content size exceeds the maximum size of 4 MB.")


InternalServerError = _error("InternalServerError", 500, "A failure of the local cloud itself.")


class DataPlaneError(ArmError):
    """A storage error from Azurite behind a management call, passed on with its own
    status and code (as ARM passes on the storage service's)."""

    def __init__(self, status: int | None, code: str | None, message: str):
        super().__init__(message)
        self.status, self.code = status or 500, code or "StorageError"


# ------------------------------------------------------------------ helpers
def account_not_found(name: str, resource_group: str) -> ResourceNotFound:
    return ResourceNotFound("Microsoft.Storage/storageAccounts", name, resource_group)


def no_route(request: Request) -> NotFound:
    kind = NoRegisteredProviderForPath if "/providers/" in request.url.path else NotFound
    return kind(f"The local management plane has no route for {request.method} "
                f"{request.url.path}. It implements resource groups, storage accounts, "
                f"queues, role assignments, built-in role definitions, metric alerts, "
                f"diagnostic settings and queue metrics (see "
                f"localcloud/management).")
