"""The local cloud: Azurite (data plane) plus a management plane and token endpoint.

It is a service with a contract: it imports nothing of the lessons, the provisioning
code or the REST API.
"""

from .state import Record, StateFolder
from .supervisor import Status, client_environment, down, status, up

__all__ = ["Record", "StateFolder", "Status", "client_environment", "down", "status", "up"]
