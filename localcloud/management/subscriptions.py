"""Subscriptions (Microsoft.Resources): list and get, as ``az login`` and ``az account`` ask.

``az login --identity`` lists the subscriptions the signed-in identity can reach
(``GET /subscriptions?api-version=2022-12-01``) and keeps them in its profile; ``az
account show`` reads one. The local cloud has one subscription to list, its default
(:data:`localcloud.constants.SUBSCRIPTION_ID`), in its one tenant; like every other
route, a GET of any well-formed subscription id answers (the cloud serves any). The body
is the one in Microsoft's reference:
https://learn.microsoft.com/rest/api/resources/subscriptions/list?view=rest-resources-2022-12-01
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from ..constants import SUBSCRIPTION_ID, TENANT_ID
from .routing import ArmRoute, Call, Provider, route

# The subscriptions API has api-versions of its own (not the resource groups' ones):
# azure-cli 2.91 sends 2022-12-01; the others are older versions with the same shape.
SUBSCRIPTIONS = Provider("Microsoft.Resources", (
    "2022-12-01", "2021-01-01", "2020-01-01", "2019-11-01", "2019-06-01", "2016-06-01",
))
DISPLAY_NAME = "Local cloud subscription"


def body(subscription: str) -> dict:
    return {
        "id": f"/subscriptions/{subscription}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": subscription,
        "tenantId": TENANT_ID,
        "displayName": DISPLAY_NAME,
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                 "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
    }


async def list_subscriptions(call: Call) -> Response:
    return JSONResponse({"value": [body(SUBSCRIPTION_ID)],
                         "count": {"type": "Total", "value": 1}})


async def get(call: Call) -> Response:
    return JSONResponse(body(call.subscription))


ROUTES: list[ArmRoute] = [
    route("GET", "/subscriptions", list_subscriptions, SUBSCRIPTIONS, "subscriptions"),
    route("GET", "/subscriptions/{subscription}", get, SUBSCRIPTIONS, "subscriptions"),
]
