"""The one exception the authentication helpers raise."""

from __future__ import annotations

from ..errors import LabError


class AuthError(LabError):
    """A credential was refused or is malformed; the message says why and what to do."""
