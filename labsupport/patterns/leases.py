"""Recognise a lost lease: the pop receipt you hold is no longer the message's current one.

A receive leases a message and hands you a pop receipt. That receipt stops working when
someone else receives the message after your lease ran out, when you (or anyone holding
the newest receipt) update or delete it, or when the message expires. Then a delete or
update with your receipt fails, with one of two answers:

* ``404 MessageNotFound`` — what Microsoft's Delete Message reference documents when no
  message with a matching pop receipt is found, in each of the cases above
  (https://learn.microsoft.com/rest/api/storageservices/delete-message2#remarks);
* ``400 PopReceiptMismatch`` — listed in Microsoft's Queue service error codes: "The
  specified pop receipt did not match the pop receipt for a dequeued message"
  (https://learn.microsoft.com/rest/api/storageservices/queue-service-error-codes). It is
  what Azurite 3.35 answers while the message still exists with another receipt.

Microsoft's own Functions queue listener handles both when it deletes or releases a
message (``QueueProcessor`` in Azure/azure-webjobs-sdk,
https://github.com/Azure/azure-webjobs-sdk/blob/dev/src/Microsoft.Azure.WebJobs.Extensions.Storage/Queues/QueueProcessor.cs).
Both mean the same thing to a consumer: *you no longer own this message*; someone else
may be processing it. Do not retry the delete: make the processing idempotent instead.
"""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError

from .error_codes import error_code

__all__ = ["STALE_LEASE_ERRORS", "delete_if_still_leased", "error_code", "is_stale_lease"]

#: (HTTP status, error code) pairs that mean "your pop receipt is stale".
STALE_LEASE_ERRORS = frozenset({(400, "PopReceiptMismatch"), (404, "MessageNotFound")})


def is_stale_lease(error: BaseException) -> bool:
    """True when a delete/update failed because the pop receipt no longer holds the message."""
    return (
        isinstance(error, HttpResponseError)
        and (error.status_code, error_code(error)) in STALE_LEASE_ERRORS
    )


def delete_if_still_leased(queue, message, pop_receipt: str | None = None) -> bool:
    """Delete ``message``; return False (instead of raising) if the lease was lost.

    ``queue`` is a ``QueueClient``. Any other error is raised as usual.
    """
    try:
        queue.delete_message(message, pop_receipt)
    except HttpResponseError as error:
        if is_stale_lease(error):
            return False
        raise
    return True
