"""The local cloud's fixed identities: its tenant, its default subscription, its principal.

Fixed on purpose, so resources and role assignments made in one session are still
valid after any restart. A caller may use another subscription: the management plane
serves any well-formed subscription id; :data:`SUBSCRIPTION_ID` is the one it names by
default (in :func:`localcloud.client_environment`).
"""

#: The Entra ID tenant of every token the local cloud issues (the ``tid`` claim).
TENANT_ID = "00000000-0000-4000-8000-000000000002"
#: The subscription clients are told to use unless their caller chooses another.
SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
#: The managed identity's principal (object) id: the ``oid`` of its tokens, the id a
#: role assignment names.
PRINCIPAL_ID = "00000000-0000-4000-8000-0000000000a1"
#: The managed identity's client (application) id: a different value, as on Azure.
CLIENT_ID = "00000000-0000-4000-8000-0000000000c1"
