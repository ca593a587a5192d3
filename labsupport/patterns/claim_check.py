"""Claim check: send a payload too big for a queue message (64 KiB) through Blob storage.

The producer uploads the payload as a blob, then sends a small JSON reference — the
"claim check" — as the message. The consumer receives the message, downloads the blob
(checking its size and SHA-256), processes it, then deletes **the message first and the
blob second**:

* a crash before the message is deleted: the message comes back after its visibility
  timeout and the blob is still there, so the work is retried (make it idempotent);
* a crash between the two deletes: the work is done and nothing is lost, but the blob
  is an orphan. Each blob records when its message expires (the message's time to live
  plus a margin); after that no message can refer to it, and :func:`sweep_orphans`
  deletes it. On Azure a lifecycle-management rule can do the same.

The other order would be worse: a message that comes back pointing at a deleted blob
can never be processed.

    container = BlobServiceClient(blob_url, credential=cred).get_container_client("claims")
    check_in(queue, container, payload)                 # producer
    message = queue.receive_message(visibility_timeout=60)
    reference, payload = claim(container, message)      # consumer
    ...                                                 # process the payload
    complete(queue, container, message, reference)

Only the public Azure SDKs are used: the same code runs against Azure. Lesson 08 writes
``check_in``, ``claim`` and ``sweep_orphans`` in its cells; this module is their tested
copy, and ``tests/patterns/test_claim_check_notebook.py`` runs both and compares what
they send and store.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import ResourceNotFoundError

KEY = "claim_check"
EXPIRES_METADATA = "message_expires_on"
DEFAULT_TIME_TO_LIVE = 7 * 24 * 3600  # the service's default for a message, in seconds
MARGIN = timedelta(hours=1)  # time a consumer may still hold an expired message's payload


class NotAClaimCheck(ValueError):
    """A message that does not carry a claim-check reference."""


class PayloadMismatch(ValueError):
    """The blob's content is not what the reference promised (size or SHA-256)."""


@dataclass(frozen=True)
class Reference:
    """Where a payload is and how to recognise it: the body of a claim-check message."""

    container: str
    blob: str
    size: int
    sha256: str

    def to_json(self) -> str:
        return json.dumps({KEY: asdict(self)})

    @classmethod
    def from_json(cls, text: str | bytes) -> Reference:
        try:
            fields = json.loads(text)[KEY]
            return cls(container=str(fields["container"]), blob=str(fields["blob"]),
                       size=int(fields["size"]), sha256=str(fields["sha256"]))
        except (ValueError, TypeError, KeyError) as error:
            raise NotAClaimCheck(
                f'not a claim-check message ({type(error).__name__}: {error}): expected JSON '
                f'like {{"{KEY}": {{"container": …, "blob": …, "size": …, "sha256": …}}}}'
            ) from None


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def check_in(queue, container, payload: bytes, *,
             time_to_live: int = DEFAULT_TIME_TO_LIVE) -> Reference:
    """Upload ``payload`` as a new blob in ``container``, then send its reference on ``queue``.

    ``queue`` may have any encode policy (e.g. base64 for an Azure Functions consumer);
    the reference is JSON text. The blob is uploaded first, so a consumer never receives
    a reference to a blob that does not exist yet.
    """
    if not isinstance(payload, bytes | bytearray):
        raise TypeError(f"payload must be bytes, got {type(payload).__name__}: encode text "
                        f"first, e.g. text.encode('utf-8')")
    if time_to_live <= 0:
        raise ValueError(
            f"time_to_live={time_to_live}: a claim-check message needs a finite time to live "
            f"(seconds) so that an orphaned blob can be recognised and deleted"
        )
    expires_on = datetime.now(UTC) + timedelta(seconds=time_to_live) + MARGIN
    name = f"{uuid.uuid4()}.bin"
    container.upload_blob(name, bytes(payload),
                          metadata={EXPIRES_METADATA: expires_on.isoformat()})
    reference = Reference(container.container_name, name, len(payload), _sha256(payload))
    queue.send_message(reference.to_json(), time_to_live=time_to_live)
    return reference


def claim(container, message) -> tuple[Reference, bytes]:
    """Read ``message``'s reference and download the payload, checking size and SHA-256.

    Raises :class:`NotAClaimCheck` for a message that is not a reference to a blob in
    ``container``, ``ResourceNotFoundError`` if the blob is gone, and
    :class:`PayloadMismatch` if its content is not what the reference says.
    """
    reference = Reference.from_json(message.content)
    if reference.container != container.container_name:
        raise NotAClaimCheck(f"the reference points at container {reference.container!r}, "
                             f"not {container.container_name!r}")
    payload = container.download_blob(reference.blob).readall()
    if len(payload) != reference.size or _sha256(payload) != reference.sha256:
        raise PayloadMismatch(
            f"blob {reference.blob!r} holds {len(payload):,} bytes that do not match the "
            f"reference ({reference.size:,} bytes, SHA-256 {reference.sha256[:12]}…): it was "
            f"changed after the message was sent"
        )
    return reference, payload


def complete(queue, container, message, reference: Reference) -> None:
    """After processing: delete the message, then the blob (see the module's docstring).

    If the message cannot be deleted (e.g. the lease was lost), the error propagates and
    the blob is kept: whoever holds the message now still needs it.
    """
    queue.delete_message(message)
    # Already gone (deleted by hand, or swept): nothing is left to clean up.
    with suppress(ResourceNotFoundError):
        container.delete_blob(reference.blob)


def keep(container, reference: Reference) -> None:
    """Keep a payload until it is deleted by hand: the sweep will no longer touch it.

    Call it when a claim-check message moves to a poison queue: the poison copy gets a
    time to live of its own, from the moment it was moved, so its blob must outlive the
    original message's expiry.
    """
    container.get_blob_client(reference.blob).set_blob_metadata({})


def sweep_orphans(container, *, now: datetime | None = None) -> list[str]:
    """Delete the blobs whose message has expired (no message can refer to them any more).

    Only blobs written by :func:`check_in` (they carry the expiry metadata) are touched;
    a blob passed to :func:`keep` (its message went to a poison queue) is not.
    ``now`` defaults to the current time. Returns the names deleted.
    """
    now = now or datetime.now(UTC)
    swept = []
    for blob in container.list_blobs(include=["metadata"]):
        expires = (blob.metadata or {}).get(EXPIRES_METADATA)
        if expires and datetime.fromisoformat(expires) < now:
            try:
                container.delete_blob(blob.name)
            except ResourceNotFoundError:
                continue
            swept.append(blob.name)
    return swept
