"""The management plane's view of Azurite: queues and account data, through the storage SDKs.

Every call is blocking (run it in a thread) and signs with the account's key1, the way
Azure's storage resource provider acts on an account on your behalf.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from ..cloud import Cloud

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient

CLIENT_OPTIONS = {"connection_timeout": 5, "read_timeout": 30, "retry_total": 3}


@dataclass(frozen=True)
class QueueInfo:
    name: str
    metadata: dict[str, str]
    approximate_message_count: int | None = None


class AccountData:
    """One storage account's data in Azurite."""

    def __init__(self, cloud: Cloud, account: str, key: str):
        self.cloud, self.account = cloud, account
        self.credential = AzureNamedKeyCredential(account, key)

    def queues_client(self) -> QueueServiceClient:
        from azure.storage.queue import QueueServiceClient  # on first use: a faster start

        return QueueServiceClient(self.cloud.endpoint("queue", self.account),
                                  credential=self.credential, **CLIENT_OPTIONS)

    def blobs_client(self) -> BlobServiceClient:
        from azure.storage.blob import BlobServiceClient  # on first use: a faster start

        return BlobServiceClient(self.cloud.endpoint("blob", self.account),
                                 credential=self.credential, **CLIENT_OPTIONS)

    def put_queue(self, name: str, metadata: dict[str, str]) -> QueueInfo:
        """Create the queue, or set its metadata if it exists (ARM's PUT is idempotent)."""
        with self.queues_client() as service:
            queue = service.get_queue_client(name)
            try:
                queue.create_queue(metadata=metadata)
            except ResourceExistsError:
                queue.set_queue_metadata(metadata=metadata)
            return self._info(queue)

    def queue(self, name: str) -> QueueInfo | None:
        with self.queues_client() as service:
            try:
                return self._info(service.get_queue_client(name))
            except ResourceNotFoundError:
                return None

    def set_queue_metadata(self, name: str, metadata: dict[str, str]) -> QueueInfo | None:
        with self.queues_client() as service:
            queue = service.get_queue_client(name)
            try:
                queue.set_queue_metadata(metadata=metadata)
            except ResourceNotFoundError:
                return None
            return self._info(queue)

    def queues(self, prefix: str | None = None) -> list[QueueInfo]:
        with self.queues_client() as service:
            return [QueueInfo(q.name, dict(q.metadata or {}))
                    for q in service.list_queues(name_starts_with=prefix, include_metadata=True)]

    def message_counts(self) -> dict[str, int]:
        """Each queue's approximate message count, as Get Queue Metadata answers it now
        (a queue deleted between the listing and its count is left out)."""
        counts = {}
        with self.queues_client() as service:
            for listed in service.list_queues():
                with contextlib.suppress(ResourceNotFoundError):
                    properties = service.get_queue_client(listed.name).get_queue_properties()
                    counts[listed.name] = properties.approximate_message_count or 0
        return counts

    def delete_queue(self, name: str) -> bool:
        with self.queues_client() as service:
            try:
                service.delete_queue(name)
            except ResourceNotFoundError:
                return False
            return True

    def cors_rules(self) -> list:
        """The queue service's CORS rules (the SDK's ``CorsRule`` objects)."""
        with self.queues_client() as service:
            return list(service.get_service_properties().get("cors") or [])

    def set_cors_rules(self, rules: list) -> None:
        """Replace the queue service's CORS rules; logging, metrics stay as they are."""
        with self.queues_client() as service:
            service.set_service_properties(cors=rules)

    def purge(self) -> None:
        """Delete every queue and blob container, so a re-created account starts empty."""
        with self.queues_client() as service:
            for queue in service.list_queues():
                with contextlib.suppress(ResourceNotFoundError):
                    service.delete_queue(queue.name)
        with self.blobs_client() as service:
            for container in service.list_containers():
                with contextlib.suppress(ResourceNotFoundError):
                    service.delete_container(container.name)

    @staticmethod
    def _info(queue) -> QueueInfo:
        properties = queue.get_queue_properties()
        return QueueInfo(properties.name or queue.queue_name, dict(properties.metadata or {}),
                         properties.approximate_message_count)
