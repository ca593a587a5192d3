"""The local cloud's own errors: each message says what is wrong and how to fix it.

They belong to the service, not to its callers: ``labsupport`` turns them into its own
lab errors at its boundary (:mod:`labsupport.local`).
"""

from __future__ import annotations


class LocalCloudError(Exception):
    """The local cloud (Azurite and the management plane) could not be used."""


class NotInstalledError(LocalCloudError):
    """Node.js or the project's ``node_modules`` (Azurite) are missing."""


class PortTakenError(LocalCloudError):
    """Another program took a port between its choice and the local cloud's listen."""

    #: The daemon's exit code for this error (EX_TEMPFAIL): the supervisor may choose again.
    EXIT_CODE = 75

    def __init__(self, service: str, port: int):
        super().__init__(
            f"Port {port} ({service}) was taken by another program as the local cloud "
            f"started: choose another port, or let the lab pick free ones.")
        self.service, self.port = service, port


class LocalCloudRestarted(UserWarning):
    """A local cloud that had stopped working (a crash, a reboot) was started again;
    recent writes may be lost. Warned by :func:`localcloud.start` unless its caller
    asks to be told another way (``on_restart``)."""
