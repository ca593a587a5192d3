"""Exceptions the lab raises: each message says what is wrong and how to fix it.

In a notebook a lab error shows as its one sentence, not a traceback: IPython asks an
exception for ``_render_traceback_()`` before formatting one. Any other exception keeps
its full traceback.
"""

from __future__ import annotations


class LabError(Exception):
    """Base class for errors a learner can act on; the message is the advice."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: ``ConfigError: <the sentence>``.

        The traceback points into the lab's own code, which is not where the fix is.
        """
        return [f"{type(self).__name__}: {self}"]


class ConfigError(LabError):
    """The lab's configuration (environment or ``lab.env``) is invalid."""


class LocalCloudError(LabError):
    """The local cloud (Azurite and the management plane) could not be used."""


class PortInUseError(LocalCloudError):
    """A configured port is already taken by another program."""


class NotInstalledError(LocalCloudError):
    """Node.js or the project's ``node_modules`` are missing."""


class LocalCloudRestarted(UserWarning):
    """The local cloud had stopped (a crash, a reboot) and was started again; recent writes
    may be lost. A warning, not an error: the lab goes on."""


class AzureLoginError(LabError):
    """No usable Azure credential (not logged in, or the login expired)."""


class TeardownRefused(LabError):
    """Teardown was asked to delete something the lab did not create."""


def first_line(error: BaseException | str) -> str:
    """The first line of an error's message, or its type's name when the message is empty."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else (type(error).__name__ if isinstance(error, BaseException)
                                   else "")
