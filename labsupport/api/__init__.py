"""A REST API over one queue (FastAPI), with honest semantics and mapped errors.

``create_app(QueueClientSettings.from_lab(lab))`` builds the app; ``python -m labsupport api``
serves it on 127.0.0.1; :func:`start_service` runs that in the background for a notebook.
"""

from .app import create_app
from .background import BackgroundService, start_service
from .settings import QueueClientSettings

__all__ = ["BackgroundService", "QueueClientSettings", "create_app", "start_service"]
