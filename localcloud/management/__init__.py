"""The local management plane: Azure Resource Manager's REST contract, served offline."""

from .app import create_app
from .store import ManagementStore, StoreError, load_store

__all__ = ["create_app", "load_store", "ManagementStore", "StoreError"]
