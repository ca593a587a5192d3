"""The managed-identity token endpoint (App Service protocol, api-version 2019-08-01).

``DefaultAzureCredential`` uses it when ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER``
are set (:func:`localcloud.client_environment` gives both). The answer's ``client_id`` is the
identity's client id; its principal (object) id is the token's ``oid`` claim (see
:mod:`localcloud.tokens` for how a notebook reads it).
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..cloud import Cloud

PATH = "/msi/token"


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"statusCode": status, "message": message}, status_code=status)


async def token(request: Request) -> JSONResponse:
    cloud: Cloud = request.app.state.cloud
    header = request.headers.get("x-identity-header", "")
    # Bytes, not str: compare_digest raises TypeError on non-ASCII text (a 500).
    if not hmac.compare_digest(header.encode(), cloud.identity_header.encode()):
        return _refuse(401, "X-IDENTITY-HEADER is missing or wrong: use the value of "
                            "IDENTITY_HEADER.")
    if request.query_params.get("api-version") != "2019-08-01":
        return _refuse(400, "api-version must be 2019-08-01.")
    resource = request.query_params.get("resource", "")
    if not resource.startswith("https://"):
        return _refuse(400, "resource must be an https URI such as https://storage.azure.com.")
    access_token, expires_on = cloud.tokens.mint(resource)
    return JSONResponse({
        "access_token": access_token,
        "expires_on": str(expires_on),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": cloud.tokens.client_id,
    })
