"""Authentication helpers: read a credential safely, probe what it allows, explain refusals.

What notebook 02 imports, from the modules that do each job:

* :mod:`.connection_strings` — say which part of a connection string is wrong;
* :mod:`.sas` — read a SAS's fields and what makes it unusable (never its signature);
* :mod:`.tokens` — read a JWT access token's claims (PyJWT, unverified) and its audience;
* :mod:`.probe` — try each message operation with a client: what may it do?
* :mod:`.diagnosis` — one sentence for a refusal, from its error code and structured data;
* :func:`error_code` — the service's error code, from :mod:`labsupport.patterns.error_codes`.

Nothing here returns or prints a key, a SAS signature or a token: everything shown passes
through :func:`labsupport.redact`.
"""

from ..patterns.error_codes import error_code
from .connection_strings import CONNECTION_STRING_NAMES, check_connection_string
from .diagnosis import explain, explained
from .errors import AuthError
from .probe import access_table, probe_queue_access
from .sas import (
    ACCOUNT_SAS_PERMISSIONS,
    OPERATIONS,
    QUEUE_SAS_PERMISSIONS,
    RESOURCE_TYPES,
    SAS_FIELDS,
    SKEW_ADVICE,
    Problem,
    SasInfo,
    SasProblem,
    printable,
    sas_info,
    sas_table,
)
from .tokens import STORAGE_AUDIENCE, audience_problem, token_claims

__all__ = [
    "ACCOUNT_SAS_PERMISSIONS",
    "CONNECTION_STRING_NAMES",
    "OPERATIONS",
    "QUEUE_SAS_PERMISSIONS",
    "RESOURCE_TYPES",
    "SAS_FIELDS",
    "SKEW_ADVICE",
    "STORAGE_AUDIENCE",
    "AuthError",
    "Problem",
    "SasInfo",
    "SasProblem",
    "access_table",
    "audience_problem",
    "check_connection_string",
    "error_code",
    "explain",
    "explained",
    "printable",
    "probe_queue_access",
    "sas_info",
    "sas_table",
    "token_claims",
]
