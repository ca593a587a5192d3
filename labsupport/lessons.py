"""The learning path: every lesson in order, with its time and what it teaches.

The single source for the contents tables and the navigation lines that
``tools/navigation.py`` writes into the README and the notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass

from .paths import project_root


@dataclass(frozen=True)
class Lesson:
    number: str
    file: str
    title: str
    minutes: int
    teaches: str

    @property
    def label(self) -> str:
        return f"{self.number} · {self.title}"

    @property
    def present(self) -> bool:
        return (project_root() / "notebooks" / self.file).is_file()


LESSONS = [
    Lesson("00", "00_start_here.ipynb", "Start here", 5,
           "What the lab is, local cloud vs Azure, a live check that everything runs"),
    Lesson("01", "01_provision_resources.ipynb", "Provision with the management SDK", 20,
           "Resource group → storage account → queue, long-running operations, keys, "
           "data roles for Entra ID, redundancy and the secondary endpoint"),
    Lesson("02", "02_authenticate.ipynb", "Authenticate like production", 20,
           "Account keys, SAS with least privilege, stored access policies, Entra ID"),
    Lesson("03", "03_send_peek_receive.ipynb", "Send, peek, receive, update, delete", 20,
           "The message lifecycle, batching with max_messages and messages_per_page, "
           "metadata, the naming rules"),
    Lesson("04", "04_visibility_timeout.ipynb", "Visibility timeout", 10,
           "Leases, reappearing messages, stale pop receipts, heartbeats, delayed delivery"),
    Lesson("05", "05_time_to_live.ipynb", "Time to live", 10,
           "Default and custom TTL, never-expiring messages, expiry while leased"),
    Lesson("06", "06_out_of_order_redelivery.ipynb", "Out-of-order redelivery", 10,
           "No ordering guarantee: a crashed consumer's message comes back last"),
    Lesson("07", "07_duplicates_and_poison_messages.ipynb", "Duplicates and poison messages", 20,
           "At-least-once delivery, idempotent consumers, poison queues, monitoring "
           "and alerts"),
    Lesson("08", "08_encoding_and_large_messages.ipynb", "Encoding and large messages", 20,
           "Base64 policies, the 64 KiB limit measured, claim check through Blob storage, "
           "Event Grid blob events"),
    Lesson("09", "09_queue_api_service.ipynb", "A REST API over the queue", 15,
           "A FastAPI service with honest semantics and mapped errors"),
    Lesson("10", "10_throughput_and_scale.ipynb", "Throughput and scale", 10,
           "Sync vs async, batching and concurrency, measured against the service's limits"),
    Lesson("11", "11_functions_queue_trigger.ipynb", "The Azure Functions queue trigger", 15,
           "A real function app, the host's batches, retries, poison queue, polling and base64"),
    Lesson("12", "12_teardown.ipynb", "Teardown", 5,
           "Delete what the lab created, and only that"),
]
